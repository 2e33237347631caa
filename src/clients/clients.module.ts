import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AuthModule } from '../auth/auth.module';
import { answerMethodNotAllowed } from '../common/method-not-allowed';
import { oauth2Routes } from '../common/oauth2-routes';
import { ClientsController } from './clients.controller';
import { ClientsService } from './clients.service';

@Module({
  imports: [AuthModule],
  controllers: [ClientsController],
  providers: [ClientsService],
  exports: [ClientsService],
})
export class ClientsModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /**
   * A wrong method on a client route answers 405 with `Allow`, as Kustvakt (Jersey) does,
   * instead of 404. Every `client/<one segment>` path is POST (register, list, reset, or a
   * client's info), so `DELETE client/deregister` without an id is 405 with `Allow: POST`,
   * which is what Kustvakt answers too; `client/deregister/<id>` is DELETE only.
   */
  onModuleInit(): void {
    // The command line builds an application context without HTTP: nothing to route there.
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (fastify === undefined) return;
    for (const prefix of oauth2Routes('client')) {
      answerMethodNotAllowed(fastify, `/${prefix}/:client_id`, ['POST']);
      answerMethodNotAllowed(fastify, `/${prefix}/deregister/:client_id`, ['DELETE']);
    }
  }
}
