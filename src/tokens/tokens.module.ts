import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RevocationController } from './revocation.controller';
import { TokenGrantService } from './token-grant.service';
import { TokenListController } from './token-list.controller';
import { TokenController } from './token.controller';
import { TokenService } from './token.service';

@Module({
  imports: [AuthModule],
  controllers: [TokenController, TokenListController, RevocationController],
  providers: [TokenService, TokenGrantService],
  exports: [TokenService],
})
export class TokensModule {}
