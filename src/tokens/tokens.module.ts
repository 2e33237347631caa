import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ClientsModule } from '../clients/clients.module';
import { RedisConnection } from '../redis/redis-connection';
import { PersonalTokenReveal } from './personal-token-reveal';
import { MemoryRevealStore, RedisRevealStore, RevealStore } from './reveal-store';
import { IntrospectionController } from './introspection.controller';
import { RevocationController } from './revocation.controller';
import { TokenGrantService } from './token-grant.service';
import { TokenPurgeService } from './token-purge.service';
import { TokenListController } from './token-list.controller';
import { TokenController } from './token.controller';
import { TokenService } from './token.service';

@Module({
  imports: [AuthModule, ClientsModule],
  controllers: [
    TokenController,
    TokenListController,
    RevocationController,
    IntrospectionController,
  ],
  providers: [
    TokenService,
    TokenGrantService,
    TokenPurgeService,
    PersonalTokenReveal,
    {
      provide: RevealStore,
      inject: [RedisConnection],
      useFactory: ({ client }: RedisConnection) =>
        client ? new RedisRevealStore(client) : new MemoryRevealStore(),
    },
  ],
  exports: [TokenService],
})
export class TokensModule {}
