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

  constructor(url: string) {
    this.redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
    });
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
