import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LdapUserStore } from './ldap-user-store';
import { LocalUserStore } from './local-user-store';
import { PasswordCheckQueue } from './password-check-queue';
import { UserRepository } from './user.repository';
import { USER_STORE, type UserStore } from './user-store';
import { UsersService } from './users.service';

@Module({
  providers: [
    UsersService,
    {
      provide: PasswordCheckQueue,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new PasswordCheckQueue(config.passwordCheckConcurrency, config.passwordCheckQueue),
    },
    {
      // Chosen once, from USER_STORE; nobody else knows which one answers.
      provide: USER_STORE,
      inject: [APP_CONFIG, UserRepository, PasswordCheckQueue],
      useFactory: (
        config: AppConfig,
        users: UserRepository,
        scrypt: PasswordCheckQueue,
      ): UserStore =>
        config.ldap
          ? new LdapUserStore(
              config.ldap,
              users,
              // As many directory checks at once as there are pooled connections.
              new PasswordCheckQueue(config.ldap.poolSize, config.passwordCheckQueue),
            )
          : new LocalUserStore(users, scrypt),
    },
  ],
  exports: [UsersService, USER_STORE],
})
export class UsersModule {}
