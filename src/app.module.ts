import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { AuthorizationModule } from './authorization/authorization.module';
import { ClientsModule } from './clients/clients.module';
import { RequestValidationPipe } from './common/request-validation.pipe';
import { OAuthErrorFilter } from './common/oauth-error.filter';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { KustvaktAuthorizeModule } from './kustvakt/kustvakt-authorize.module';
import { PluginsModule } from './kustvakt/plugins/plugins.module';
import { ObservabilityModule } from './observability/observability.module';
import { MetadataModule } from './metadata/metadata.module';
import { RedisModule } from './redis/redis.module';
import { ThrottleGuard } from './throttling/throttle.guard';
import { ThrottlingModule } from './throttling/throttling.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from './users/users.module';

/** The whole service; main.ts, the CLI and the e2e tests all build it from one AppConfig. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        RedisModule,
        ThrottlingModule,
        ObservabilityModule,
        HealthModule,
        UsersModule,
        AuthModule,
        ClientsModule,
        TokensModule,
        AuthorizationModule,
        KustvaktAuthorizeModule,
        MetadataModule,
        AdminModule,
        PluginsModule,
      ],
      providers: [
        { provide: APP_PIPE, useClass: RequestValidationPipe },
        { provide: APP_FILTER, useClass: OAuthErrorFilter },
        { provide: APP_GUARD, useClass: ThrottleGuard },
      ],
    };
  }
}
