import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AuthorizationCodeRepository } from '../authorization/authorization-code.repository';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { TokenRepository } from './token.repository';

/**
 * Deletes expired and revoked tokens and expired codes, in batches of PURGE_BATCH_SIZE rows
 * so that no statement holds the tables for long; every PURGE_INTERVAL, and on `tokens purge`.
 * Rotated refresh tokens of a family that still has a live token are kept for reuse
 * detection (TokenRepository.purgeBatch).
 */
@Injectable()
export class TokenPurgeService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TokenPurgeService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly tokens: TokenRepository,
    private readonly codes: AuthorizationCodeRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.purgeInterval === 0) return;
    this.timer = setInterval(() => void this.purgeInBackground(), this.config.purgeInterval * 1000);
    // The schedule must not keep a stopping process alive.
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Purges everything that is due; returns the number of rows deleted. */
  purge(): Promise<number> {
    // One purge at a time: a slow purge and the next tick must not race over the same rows.
    this.running ??= this.purgeAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async purgeAll(): Promise<number> {
    const now = new Date();
    const batch = this.config.purgeBatchSize;
    let deleted = 0;
    for (const purgeBatch of [
      () => this.tokens.purgeBatch(now, batch),
      () => this.codes.purgeExpiredBatch(now, batch),
    ]) {
      for (;;) {
        const n = await purgeBatch();
        deleted += n;
        if (n < batch) break;
        // Let requests in between batches.
        await yieldToEventLoop();
      }
    }
    return deleted;
  }

  private async purgeInBackground(): Promise<void> {
    try {
      const deleted = await this.purge();
      if (deleted > 0) this.logger.log(`purged ${deleted} expired or revoked rows`);
    } catch (error) {
      this.logger.error(`purge failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
