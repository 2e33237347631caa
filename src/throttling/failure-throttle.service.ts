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
    let counts: FailureCount[];
    try {
      counts = await this.store.read([
        sourceKey(source),
        ...identities.map((id) => identityKey(source, id)),
      ]);
    } catch {
      // The shared store is down: fail open (the store logs the outage) rather than refuse
      // every login. Authentication itself is unaffected.
      return;
    }
    this.refuseIfOver(counts, 0);
  }

  /**
   * Runs one password or secret check of `identity` for `caller`. Its failure is counted
   * before `check` starts; a result (not null) gives it back. A check that throws gives it
   * back too (it never compared anything: a full queue, a database outage), except when it was
   * abandoned. Past the limit, 429 before `check` runs.
   */
  async attempt<T>(
    caller: Caller,
    identity: string,
    check: () => Promise<T | null>,
  ): Promise<T | null> {
    if (!this.enabled) return check();
    const keys = [sourceKey(caller.source), identityKey(caller.source, identity)];
    let reserved: FailureCount[];
    try {
      reserved = await this.store.increment(keys, this.windowMs);
    } catch {
      return check(); // fail open, as in assertNotBlocked
    }
    try {
      // Over the limit: this attempt would be failure number limit + 1.
      this.refuseIfOver(reserved, 1);
    } catch (refusal) {
      await this.giveBack(keys);
      throw refusal;
    }
    let result: T | null;
    try {
      result = await check();
    } catch (error) {
      if (!(error instanceof CheckAbandoned)) await this.giveBack(keys);
      throw error;
    }
    if (result !== null) await this.giveBack(keys);
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
    const blocked = counts.filter(
      (c, i) =>
        c.count - pending >= (i === 0 ? this.maxFailures * SOURCE_LIMIT_FACTOR : this.maxFailures),
    );
    if (blocked.length === 0) return;
    const retryAfter = Math.max(1, Math.ceil(Math.max(...blocked.map((c) => c.resetInMs)) / 1000));
    throw new OAuthError(
      429,
      'too_many_requests',
      'Too many failed authentication attempts; try again later.',
      { 'Retry-After': String(retryAfter) },
    );
  }

  private async giveBack(keys: readonly string[]): Promise<void> {
    await this.store.decrement(keys).catch(() => undefined);
  }
}

function sourceKey(source: string): string {
  return `tokenvakt:failures:${source}`;
}

function identityKey(source: string, identity: string): string {
  return `tokenvakt:failures:${source}|${identity}`;
}
