import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { USER_STORE, type UserStore } from '../users/user-store';

/** How the answer names each check when it is down. */
const CHECK_NAMES: Readonly<Record<string, string>> = {
  database: 'The database',
  directory: 'The user directory',
};

@Controller('health')
@ApiTags('operations')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    @Inject(USER_STORE) private readonly users: UserStore,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Ready when the database answers within a second, and with USER_STORE=ldap the directory
   * too; 503 naming what does not answer.
   */
  @Get('ready')
  @ApiOkResponse({
    description:
      '{"status":"ok","checks":{"database":"up"}} (with USER_STORE=ldap also "directory":"up")',
  })
  @ApiServiceUnavailableResponse({ description: 'the database or the directory does not answer' })
  async ready(@Res() reply: FastifyReply): Promise<void> {
    void reply.header('Cache-Control', 'no-store');
    const [database, others] = await Promise.all([
      this.health.check([() => this.database.pingCheck('database', { timeout: 1000 })]).then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      this.users.health(),
    ]);
    const checks: Record<string, 'up' | 'down'> = { database, ...others };
    const down = Object.keys(checks).filter((name) => checks[name] === 'down');
    if (down.length === 0) {
      void reply.code(200).send({ status: 'ok', checks });
      return;
    }
    void reply.code(503).send({
      status: 'error',
      error: 'temporarily_unavailable',
      error_description: down
        .map((name) => `${CHECK_NAMES[name] ?? name} does not answer.`)
        .join(' '),
      checks,
    });
  }
}
