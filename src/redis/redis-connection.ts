import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** At most one outage warning this often, however many requests meet the outage. */
const WARNING_INTERVAL_MS = 30_000;

/**
 * The one Redis connection of the app (README: Configuration, `REDIS_URL`), shared by
 * everything that must be shared between instances: the throttle's failure counts and the
 * personal tokens waiting to be revealed. `client` is undefined without REDIS_URL; each user
 * then falls back to memory behind the same interface. Closed once, at shutdown.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  readonly client: Redis | undefined;
  private readonly logger = new Logger('Redis');
  private lastWarning = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (config.redisUrl === undefined) return;
    // While Redis is unreachable, commands fail at once instead of queueing: a login or a
    // token list must not wait on Redis.
    this.client = new Redis(config.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
    });
    // Only the message: a command's arguments (a raw token on its way to the reveal store)
    // must never reach the log.
    this.client.on('error', (error: Error) => this.warn(error.message));
    this.client.connect().catch(() => undefined);
  }

  private warn(message: string): void {
    if (Date.now() - this.lastWarning < WARNING_INTERVAL_MS) return;
    this.lastWarning = Date.now();
    this.logger.warn(message);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.quit().catch(() => this.client?.disconnect());
  }
}
