import type { Redis } from 'ioredis';

/**
 * Whose token list may reveal a personal token: the super client whose page asked for it,
 * listing for the user it was issued for (README: Security model, personal tokens).
 */
export interface RevealAudience {
  readonly superClientId: string;
  readonly userId: number;
}

/**
 * Personal access tokens waiting to be shown once in the token list. The raw value is kept
 * only here, never in the database or a log: in memory for one instance, or in the shared
 * Redis so that any instance can reveal what another issued. An entry lives until it is taken
 * or its expiry passes.
 */
export abstract class RevealStore {
  /** Keeps the raw access token named `handle` for `audience` until `expiresAt`. */
  abstract put(
    audience: RevealAudience,
    handle: string,
    rawToken: string,
    expiresAt: Date,
  ): Promise<void>;

  /**
   * Removes the entries of `audience` named by `handles` and returns the live ones, handle →
   * raw token. Atomic: of two concurrent takes, only one gets a given entry.
   */
  abstract take(
    audience: RevealAudience,
    handles: readonly string[],
    now: Date,
  ): Promise<ReadonlyMap<string, string>>;

  /** Drops every entry (memory); the Redis connection is closed by RedisConnection. */
  abstract close(): Promise<void>;
}

/** How often at most the memory store sweeps expired entries out of its map. */
const SWEEP_INTERVAL_MS = 10_000;

export class MemoryRevealStore extends RevealStore {
  private readonly entries = new Map<string, { rawToken: string; expiresAt: number }>();
  private nextSweep = 0;

  put(audience: RevealAudience, handle: string, rawToken: string, expiresAt: Date): Promise<void> {
    this.sweep(Date.now());
    this.entries.set(entryKey(audience, handle), { rawToken, expiresAt: expiresAt.getTime() });
    return Promise.resolve();
  }

  take(
    audience: RevealAudience,
    handles: readonly string[],
    now: Date,
  ): Promise<ReadonlyMap<string, string>> {
    // Synchronous from lookup to delete: no other take can run in between.
    const taken = new Map<string, string>();
    for (const handle of handles) {
      const key = entryKey(audience, handle);
      const entry = this.entries.get(key);
      if (entry === undefined) continue;
      this.entries.delete(key);
      if (entry.expiresAt > now.getTime()) taken.set(handle, entry.rawToken);
    }
    return Promise.resolve(taken);
  }

  close(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }

  /** Entries nobody listed in time: dropped at most every ten seconds, in one pass. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

function entryKey(audience: RevealAudience, handle: string): string {
  return `${audience.superClientId} ${audience.userId} ${handle}`;
}

/**
 * One hash per audience, field = handle, value = `<expiry in ms>:<raw token>`. PUT drops the
 * expired fields, adds the new one and makes the whole key live until its latest entry expires
 * (never shorter), so nothing outlives its window; TAKE reads and deletes the named fields in
 * one step.
 */
const PUT_SCRIPT = `
local now = tonumber(ARGV[3])
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local expiresAt = tonumber(string.match(fields[i + 1], '^(%d+):'))
  if expiresAt == nil or expiresAt <= now then redis.call('HDEL', KEYS[1], fields[i]) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or now + ttl < tonumber(ARGV[4]) then redis.call('PEXPIREAT', KEYS[1], ARGV[4]) end
return 0`;

const TAKE_SCRIPT = `
local values = redis.call('HMGET', KEYS[1], unpack(ARGV))
redis.call('HDEL', KEYS[1], unpack(ARGV))
return values`;

type RevealScripts = Redis & {
  putReveal(
    numberOfKeys: 1,
    key: string,
    handle: string,
    value: string,
    now: number,
    keyExpiresAt: number,
  ): Promise<number>;
  takeReveals(numberOfKeys: 1, key: string, ...handles: string[]): Promise<Array<string | null>>;
};

/** The entries in the app's shared Redis (RedisConnection). */
export class RedisRevealStore extends RevealStore {
  private readonly redis: RevealScripts;

  constructor(redis: Redis) {
    super();
    redis.defineCommand('putReveal', { lua: PUT_SCRIPT });
    redis.defineCommand('takeReveals', { lua: TAKE_SCRIPT });
    this.redis = redis as RevealScripts;
  }

  async put(
    audience: RevealAudience,
    handle: string,
    rawToken: string,
    expiresAt: Date,
  ): Promise<void> {
    const expiry = expiresAt.getTime();
    await this.redis.putReveal(
      1,
      redisKey(audience),
      handle,
      `${expiry}:${rawToken}`,
      Date.now(),
      expiry,
    );
  }

  async take(
    audience: RevealAudience,
    handles: readonly string[],
    now: Date,
  ): Promise<ReadonlyMap<string, string>> {
    const taken = new Map<string, string>();
    if (handles.length === 0) return taken;
    const values = await this.redis.takeReveals(1, redisKey(audience), ...handles);
    handles.forEach((handle, i) => {
      const value = values[i];
      const separator = value?.indexOf(':') ?? -1;
      if (value === null || value === undefined || separator < 0) return;
      if (Number(value.slice(0, separator)) > now.getTime()) {
        taken.set(handle, value.slice(separator + 1));
      }
    });
    return taken;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function redisKey(audience: RevealAudience): string {
  return `tokenvakt:reveal:${audience.superClientId}:${audience.userId}`;
}
