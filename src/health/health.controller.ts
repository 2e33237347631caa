import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Res } from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';

@Controller('health')
@ApiTags('operations')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready when the database answers within a second; 503 with the reason when it does not. */
  @Get('ready')
  @ApiOkResponse({ description: '{"status":"ok","checks":{"database":"up"}}' })
  @ApiServiceUnavailableResponse({ description: 'the database does not answer' })
  async ready(@Res() reply: FastifyReply): Promise<void> {
    void reply.header('Cache-Control', 'no-store');
    try {
      await this.health.check([() => this.database.pingCheck('database', { timeout: 1000 })]);
      void reply.code(200).send({ status: 'ok', checks: { database: 'up' } });
    } catch {
      void reply.code(503).send({
        status: 'error',
        error: 'temporarily_unavailable',
        error_description: 'The database does not answer.',
        checks: { database: 'down' },
      });
    }
  }
}
