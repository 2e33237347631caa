import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AuthorizationModule } from '../authorization/authorization.module';
import { AuthorizePostController } from './authorize-post.controller';

/** Kustvakt's POST authorize on API v1.0, for Kalamar up to 0.64 (README: Running KorAP's Kalamar). */
@Module({
  imports: [AuthModule, AuthorizationModule],
  controllers: [AuthorizePostController],
})
export class KustvaktAuthorizeModule {}
