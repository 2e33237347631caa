import type { Redis } from 'ioredis';

/** Failures counted for one key in its current window. */
export interface FailureCount {
  count: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  resetInMs: number;
}

/**
 * Where failed-credential counts live: in memory for one instance, or in Redis so that all
 * instances behind a load balancer share them. A key's window starts at its first count.
 * `increment` is atomic and answers the counts after it, so a check can reserve its failure
 * before it runs and concurrent checks cannot all see the same old count.
 */
export interface FailureStore {
  /** Adds one to each key and returns each key's count after that. */
  increment(keys: readonly string[], windowMs: number): Promise<FailureCount[]>;
  /** Takes one back from each key (a reserved check that did not fail); 0 ends a window. */
  decrement(keys: readonly string[]): Promise<void>;
  read(keys: readonly string[]): Promise<FailureCount[]>;
  close(): Promise<void>;
}

const NOTHING: FailureCount = { count: 0, resetInMs: 0 };

/** How often at most the memory store sweeps ended windows out of its map. */
const SWEEP_INTERVAL_MS = 10_000;

export class MemoryFailureStore implements FailureStore {
  private readonly counts = new Map<string, { count: number; resetAt: number }>();
  private nextSweep = 0;

  increment(keys: readonly string[], windowMs: number): Promise<FailureCount[]> {
    const now = Date.now();
    this.sweep(now);
    return Promise.resolve(
      keys.map((key) => {
        let entry = this.counts.get(key);
        if (entry && entry.resetAt > now) entry.count += 1;
        else this.counts.set(key, (entry = { count: 1, resetAt: now + windowMs }));
        return { count: entry.count, resetInMs: entry.resetAt - now };
      }),
    );
  }

  decrement(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const entry = this.counts.get(key);
      if (entry === undefined) continue;
      entry.count -= 1;
      if (entry.count <= 0) this.counts.delete(key);
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
          : NOTHING;
      }),
    );
  }

  close(): Promise<void> {
    this.counts.clear();
    return Promise.resolve();
  }

  /**
   * Drops ended windows, so an attacker cannot grow the map without bound. At most every ten
   * seconds and only once the map is big: a full scan on every failure would itself be a
   * denial of service once an attacker has sprayed many names.
   */
  private sweep(now: number): void {
    if (this.counts.size < 10_000 || now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    for (const [key, entry] of this.counts) if (entry.resetAt <= now) this.counts.delete(key);
  }
}

/**
 * Both scripts run atomically in Redis. INCREMENT starts a key's window (PEXPIRE) at its first
 * count and never extends it; DECREMENT never creates a key and deletes one that reaches 0.
 */
const INCREMENT_SCRIPT = `
local result = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[1]) end
  result[2 * i - 1] = count
  result[2 * i] = redis.call('PTTL', key)
end
return result`;

const DECREMENT_SCRIPT = `
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 and redis.call('DECR', key) <= 0 then
    redis.call('DEL', key)
  end
end
return 0`;

type FailureScripts = Redis & {
  incrementFailures(
    numberOfKeys: number,
    ...keysThenWindow: Array<string | number>
  ): Promise<number[]>;
  decrementFailures(numberOfKeys: number, ...keys: string[]): Promise<number>;
};

/** The counts in the app's shared Redis (RedisConnection), which logs its outages. */
export class RedisFailureStore implements FailureStore {
  private readonly redis: FailureScripts;

  constructor(redis: Redis) {
    redis.defineCommand('incrementFailures', { lua: INCREMENT_SCRIPT });
    redis.defineCommand('decrementFailures', { lua: DECREMENT_SCRIPT });
    this.redis = redis as FailureScripts;
  }

  async increment(keys: readonly string[], windowMs: number): Promise<FailureCount[]> {
    if (keys.length === 0) return [];
    const replies = await this.redis.incrementFailures(keys.length, ...keys, windowMs);
    return keys.map((_, i) => ({
      count: Number(replies[2 * i] ?? 0),
      resetInMs: Math.max(0, Number(replies[2 * i + 1] ?? 0)),
    }));
  }

  async decrement(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.decrementFailures(keys.length, ...keys);
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

  /** The connection is shared: RedisConnection closes it at shutdown. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
