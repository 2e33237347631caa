import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AuthorizationService } from './authorization.service';
import { AuthorizeController } from './authorize.controller';

@Module({
  imports: [AuthModule],
  controllers: [AuthorizeController],
  providers: [AuthorizationService],
  exports: [AuthorizationService],
})
export class AuthorizationModule {}
