import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ClientRegistrationController } from './client-registration.controller';
import { ClientsService } from './clients.service';

@Module({
  imports: [AuthModule],
  controllers: [ClientRegistrationController],
  providers: [ClientsService],
  exports: [ClientsService],
})
export class ClientsModule {}
