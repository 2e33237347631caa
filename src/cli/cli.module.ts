import { DynamicModule, Module } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service';
import type { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { UsersModule } from '../users/users.module';

/** The services the operator CLI needs, without the HTTP layer. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot(config), UsersModule],
      providers: [ClientsService],
    };
  }
}
