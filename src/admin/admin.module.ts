import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ClientsModule } from '../clients/clients.module';
import { TokensModule } from '../tokens/tokens.module';
import { AdminClientGuard } from './admin-client.guard';
import { AdminClientsController } from './admin-clients.controller';
import { AdminTokensController } from './admin-tokens.controller';

@Module({
  imports: [AuthModule, ClientsModule, TokensModule],
  controllers: [AdminTokensController, AdminClientsController],
  providers: [AdminClientGuard],
})
export class AdminModule {}
