import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { UsersModule } from '../users/users.module';
import { HealthController } from './health.controller';

@Module({
  // Terminus logs failed checks itself; tokenvakt reports them in the response instead.
  imports: [TerminusModule.forRoot({ logger: false }), UsersModule],
  controllers: [HealthController],
})
export class HealthModule {}
