import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

/** Failures counted for one key in its current window. */
export interface FailureCount {
  count: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  resetInMs: number;
}

/**
 * Where failed-credential counts live: in memory for one instance, or in Redis so that all
 * instances behind a load balancer share them. A key's window starts at its first failure.
 */
export interface FailureStore {
  increment(keys: readonly string[], windowMs: number): Promise<void>;
  read(keys: readonly string[]): Promise<FailureCount[]>;
  close(): Promise<void>;
}

export class MemoryFailureStore implements FailureStore {
  private readonly counts = new Map<string, { count: number; resetAt: number }>();

  increment(keys: readonly string[], windowMs: number): Promise<void> {
    const now = Date.now();
    this.sweep(now);
    for (const key of keys) {
      const entry = this.counts.get(key);
      if (entry && entry.resetAt > now) entry.count += 1;
      else this.counts.set(key, { count: 1, resetAt: now + windowMs });
    }
    return Promise.resolve();
  }

  read(keys: readonly string[]): Promise<FailureCount[]> {
    const now = Date.now();
    return Promise.resolve(
      keys.map((key) => {
        const entry = this.counts.get(key);
        return entry && entry.resetAt > now
          ? { count: entry.count, resetInMs: entry.resetAt - now }
          : { count: 0, resetInMs: 0 };
      }),
    );
  }

  close(): Promise<void> {
    this.counts.clear();
    return Promise.resolve();
  }

  /** Drops ended windows once the map grows, so an attacker cannot grow it without bound. */
  private sweep(now: number): void {
    if (this.counts.size < 10_000) return;
    for (const [key, entry] of this.counts) if (entry.resetAt <= now) this.counts.delete(key);
  }
}

export class RedisFailureStore implements FailureStore {
  private readonly redis: Redis;
  private readonly logger = new Logger('RedisFailureStore');
  private lastWarning = 0;

  constructor(url: string) {
    // While Redis is unreachable, commands fail at once instead of queueing: a login must not
    // wait on the throttle's store.
    this.redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
    });
    this.redis.on('error', (error: Error) => this.warn(`Redis: ${error.message}`));
    this.redis.connect().catch(() => undefined);
  }

  /** At most one warning every 30 s, however many requests meet the outage. */
  private warn(message: string): void {
    if (Date.now() - this.lastWarning < 30_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(message);
  }

  async increment(keys: readonly string[], windowMs: number): Promise<void> {
    const pipeline = this.redis.multi();
    // INCR then PEXPIRE ... NX: the window is set by the first failure and not extended.
    for (const key of keys) pipeline.incr(key).pexpire(key, windowMs, 'NX');
    await pipeline.exec();
  }

  async read(keys: readonly string[]): Promise<FailureCount[]> {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.get(key).pttl(key);
    const replies = (await pipeline.exec()) ?? [];
    return keys.map((_, i) => {
      const count = Number(replies[2 * i]?.[1] ?? 0);
      const ttl = Number(replies[2 * i + 1]?.[1] ?? 0);
      return { count: Number.isFinite(count) ? count : 0, resetInMs: Math.max(0, ttl) };
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
