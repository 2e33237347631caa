import { DynamicModule, Module } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service';
import type { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { MetricsService } from '../observability/metrics.service';
import { TokenPurgeService } from '../tokens/token-purge.service';
import { TokenService } from '../tokens/token.service';
import { UsersModule } from '../users/users.module';

/** The services the operator CLI needs, without the HTTP layer. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      // No purge schedule in a one-shot command; `tokens purge` calls the purge directly.
      imports: [
        ConfigModule.forRoot({ ...config, purgeInterval: 0 }),
        DatabaseModule.forRoot(config),
        UsersModule,
      ],
      // TokenService (for `tokens list`) counts what it does in metrics nobody scrapes here.
      providers: [ClientsService, TokenPurgeService, TokenService, MetricsService],
    };
  }
}
