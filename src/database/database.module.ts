import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthorizationCodeRepository } from '../authorization/authorization-code.repository';
import { ClientRepository } from '../clients/client.repository';
import type { AppConfig } from '../config/app-config';
import { InstalledPluginRepository } from '../kustvakt/plugins/installed-plugin.repository';
import { TokenRepository } from '../tokens/token.repository';
import { UserRepository } from '../users/user.repository';
import { ENTITIES, resolveDataSourceOptions } from './data-source-options';
import { RawSql } from './raw-sql';

const REPOSITORIES = [
  UserRepository,
  ClientRepository,
  TokenRepository,
  AuthorizationCodeRepository,
  InstalledPluginRepository,
];

/**
 * The connection and the repository classes, available to every feature module. Keeping the
 * repositories here (rather than in each feature module) lets authentication, tokens and
 * clients depend on each other's data without module cycles.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => ({
            ...(await resolveDataSourceOptions(config.database, config.databaseQueryTimeout)),
            migrationsRun: config.migrationsRun,
            // Start-up fails fast with one clear line instead of retrying silently forever.
            retryAttempts: 0,
          }),
        }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      // RawSql is not exported: only the repositories send SQL.
      providers: [RawSql, ...REPOSITORIES],
      exports: REPOSITORIES,
    };
  }
}
