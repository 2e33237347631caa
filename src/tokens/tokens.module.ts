import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ClientsModule } from '../clients/clients.module';
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
  providers: [TokenService, TokenGrantService, TokenPurgeService],
  exports: [TokenService],
})
export class TokensModule {}
