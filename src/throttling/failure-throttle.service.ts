import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { OAuthError } from '../common/oauth-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { type Caller, CheckAbandoned } from './caller';
import type { FailureCount, FailureStore } from './failure-store';

export const FAILURE_STORE = Symbol('FAILURE_STORE');

/** The whole source may fail this many times more often than one identity (spraying). */
const SOURCE_LIMIT_FACTOR = 10;

/**
 * Brute-force protection (README: API at a glance): failed secret, password and bearer checks are counted per
 * source address and the identity that failed (a username, a client id, or "bearer" for
 * unknown bearer tokens). Past RATE_LIMIT_MAX_FAILURES in RATE_LIMIT_WINDOW, that identity is
 * refused from that source with 429, whether its next credentials are right or wrong (or the
 * answer would be an oracle). Successes are never counted.
 *
 * Counting per identity, not per address alone, matters here: a super client sends every
 * user's login from one address, and one user's typos must not lock out all the others. The
 * source as a whole is refused after ten times the limit, which stops spraying many names.
 *
 * A password or secret check reserves its failure before it runs (`attempt`) and gives it
 * back when the credentials were right, so however many checks run at once, no more than the
 * limit can fail: the next one is refused with 429 before any hashing.
 */
@Injectable()
export class FailureThrottle implements OnApplicationShutdown {
  private readonly maxFailures: number;
  private readonly windowMs: number;

  constructor(
    @Inject(FAILURE_STORE) private readonly store: FailureStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxFailures = config.rateLimitMaxFailures;
    this.windowMs = config.rateLimitWindow * 1000;
  }

  get enabled(): boolean {
    return this.maxFailures > 0;
  }

  /** Throws 429 when the source, or the source for one of these identities, is blocked. */
  async assertNotBlocked(source: string, identities: readonly string[]): Promise<void> {
    if (!this.enabled) return;
    const keys = [sourceKey(source), ...identities.map((id) => identityKey(source, id))];
    let counts: FailureCount[];
    try {
      counts = await this.store.read([...keys, ...keys.map(pendingKey)]);
    } catch {
      // The shared store is down: fail open (the store logs the outage) rather than refuse
      // every login. Authentication itself is unaffected.
      return;
    }
    // Checks still running are not failures (yet): only what has failed blocks.
    this.refuseIfOver(failedOnly(counts, keys.length), 0);
  }

  /**
   * Runs one password or secret check of `identity` for `caller`. Its failure is counted
   * before `check` starts; a result (not null) gives it back. A check that throws gives it
   * back too (it never compared anything: a full queue, a database outage), except when it was
   * abandoned. Past the limit, 429 before `check` runs.
   *
   * A reservation is also marked pending until its check ends. When the checks running now
   * could, if all failed, take the count past the limit, a new check waits for them a moment
   * (MAX_WAIT_FOR_RUNNING_CHECKS_MS) before it is refused: a super client sending many
   * requests at once from one address is not throttled for its own concurrency, and still no
   * more than the limit can fail.
   */
  async attempt<T>(
    caller: Caller,
    identity: string,
    check: () => Promise<T | null>,
  ): Promise<T | null> {
    if (!this.enabled) return check();
    const keys = [sourceKey(caller.source), identityKey(caller.source, identity)];
    const pending = keys.map(pendingKey);
    const all = [...keys, ...pending];
    const waitUntil = Date.now() + MAX_WAIT_FOR_RUNNING_CHECKS_MS;
    for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
      let reserved: FailureCount[];
      try {
        reserved = await this.store.increment(all, this.windowMs);
      } catch {
        return check(); // fail open, as in assertNotBlocked
      }
      const counts = reserved.slice(0, keys.length);
      try {
        // What has failed already, without any running check (this one included).
        this.refuseIfOver(failedOnly(reserved, keys.length), 0);
        // Every running check a failure, this one too: does it still fit the limit?
        if (!this.isOver(counts, 1)) break;
        // Not for long: secret checks end in milliseconds, a password check in tens. Checks
        // that outnumber the limit for longer are an attack, not a crowd: 429, never hashed.
        if (Date.now() >= waitUntil) this.refuseIfOver(counts, 1);
      } catch (refusal) {
        await this.giveBack(all);
        throw refusal;
      }
      await this.giveBack(all);
      if (caller.abandoned()) throw new CheckAbandoned();
      await sleep(pause + Math.random() * pause);
    }
    let result: T | null;
    try {
      result = await check();
    } catch (error) {
      // An abandoned check keeps its failure: a request that timed out is no free guess.
      await this.giveBack(error instanceof CheckAbandoned ? pending : all);
      throw error;
    }
    await this.giveBack(result === null ? pending : all);
    return result;
  }

  /** Counts a failure that was not reserved (an unknown bearer token: a cheap lookup). */
  async recordFailure(source: string, identity: string): Promise<void> {
    if (!this.enabled) return;
    // Like assertNotBlocked, a store outage must not turn a 401 into a 500.
    await this.store
      .increment([sourceKey(source), identityKey(source, identity)], this.windowMs)
      .catch(() => undefined);
  }

  onApplicationShutdown(): Promise<void> {
    return this.store.close();
  }

  /**
   * 429 when a count (the source's first, then identities') is past its limit; `pending` is
   * how many of the counted are this request's own reservation.
   */
  private refuseIfOver(counts: readonly FailureCount[], pending: number): void {
    const blocked = this.over(counts, pending);
    if (blocked.length === 0) return;
    const retryAfter = Math.max(1, Math.ceil(Math.max(...blocked.map((c) => c.resetInMs)) / 1000));
    throw new OAuthError(
      429,
      'too_many_requests',
      'Too many failed authentication attempts; try again later.',
      { 'Retry-After': String(retryAfter) },
    );
  }

  private isOver(counts: readonly FailureCount[], pending: number): boolean {
    return this.over(counts, pending).length > 0;
  }

  private over(counts: readonly FailureCount[], pending: number): FailureCount[] {
    return counts.filter(
      (c, i) =>
        c.count - pending >= (i === 0 ? this.maxFailures * SOURCE_LIMIT_FACTOR : this.maxFailures),
    );
  }

  private async giveBack(keys: readonly string[]): Promise<void> {
    await this.store.decrement(keys).catch(() => undefined);
  }
}

/**
 * How long a check waits at most for running checks of the same source or identity to end,
 * when they could take the count past the limit if they all failed.
 */
const MAX_WAIT_FOR_RUNNING_CHECKS_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The counts of `keys.length` failure keys, each less its pending key's count (which follow
 * them): what has failed, without the checks still running.
 */
function failedOnly(counts: readonly FailureCount[], keys: number): FailureCount[] {
  return counts.slice(0, keys).map((c, i) => ({
    count: Math.max(0, c.count - (counts[keys + i]?.count ?? 0)),
    resetInMs: c.resetInMs,
  }));
}

function pendingKey(key: string): string {
  return `${key}|pending`;
}

function sourceKey(source: string): string {
  return `tokenvakt:failures:${source}`;
}

function identityKey(source: string, identity: string): string {
  return `tokenvakt:failures:${source}|${identity}`;
}
