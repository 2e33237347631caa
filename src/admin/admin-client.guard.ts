import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest as Request } from 'fastify';
import { callerOf } from '../throttling/caller';
import { ClientAuthService } from '../auth/client-auth.service';

/** Admin API routes: HTTP Basic with an admin client's credentials (README: API at a glance). */
@Injectable()
export class AdminClientGuard implements CanActivate {
  constructor(private readonly clientAuth: ClientAuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    await this.clientAuth.authenticateAdminClient(
      callerOf(request, http.getResponse<FastifyReply>()),
      request.headers.authorization,
    );
    return true;
  }
}
