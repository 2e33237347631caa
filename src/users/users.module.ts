import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { PasswordCheckQueue } from './password-check-queue';
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
  ],
  exports: [UsersService],
})
export class UsersModule {}
