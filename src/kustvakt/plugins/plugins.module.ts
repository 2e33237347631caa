import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/auth.module';
import { ClientsModule } from '../../clients/clients.module';
import { PluginController } from './plugin.controller';
import { PluginService } from './plugin.service';

/** Kalamar's plugin marketplace (README: Plugins); only Kustvakt's clients use it. */
@Module({
  imports: [AuthModule, ClientsModule],
  controllers: [PluginController],
  providers: [PluginService],
})
export class PluginsModule {}
