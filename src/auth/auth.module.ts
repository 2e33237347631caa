import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { BearerUseInterceptor } from './bearer-use.interceptor';
import { ClientAuthService } from './client-auth.service';
import { ScopePolicy } from './scope-policy';
import { OptionalUserAuthGuard, UserAuthGuard } from './user-auth.guard';
import { UserAuthService } from './user-auth.service';

/** Who is calling: user authentication (README: API at a glance), client authentication, scope policy. */
@Module({
  imports: [UsersModule],
  providers: [
    UserAuthService,
    ClientAuthService,
    ScopePolicy,
    UserAuthGuard,
    OptionalUserAuthGuard,
    BearerUseInterceptor,
  ],
  exports: [
    UserAuthService,
    ClientAuthService,
    ScopePolicy,
    UserAuthGuard,
    OptionalUserAuthGuard,
    BearerUseInterceptor,
    UsersModule,
  ],
})
export class AuthModule {}
