import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { ClientAuthService } from './client-auth.service';
import { ScopePolicy } from './scope-policy';
import { UserAuthGuard } from './user-auth.guard';
import { UserAuthService } from './user-auth.service';

/** Who is calling: user authentication (SPEC §2), client authentication, scope policy. */
@Module({
  imports: [UsersModule],
  providers: [UserAuthService, ClientAuthService, ScopePolicy, UserAuthGuard],
  exports: [UserAuthService, ClientAuthService, ScopePolicy, UserAuthGuard, UsersModule],
})
export class AuthModule {}
