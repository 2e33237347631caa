import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { OAuthError } from '../common/oauth-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { FailureCount, FailureStore } from './failure-store';

export const FAILURE_STORE = Symbol('FAILURE_STORE');

/** The whole source may fail this many times more often than one identity (spraying). */
const SOURCE_LIMIT_FACTOR = 10;

/**
 * Brute-force protection (SPEC §2): failed secret, password and bearer checks are counted per
 * source address and the identity that failed (a username, a client id, or "bearer" for
 * unknown bearer tokens). Past RATE_LIMIT_MAX_FAILURES in RATE_LIMIT_WINDOW, that identity is
 * refused from that source with 429, whether its next credentials are right or wrong (or the
 * answer would be an oracle). Successes are never counted.
 *
 * Counting per identity, not per address alone, matters here: a super client sends every
 * user's login from one address, and one user's typos must not lock out all the others. The
 * source as a whole is refused after ten times the limit, which stops spraying many names.
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
      counts = await this.store.read(keys);
    } catch {
      // The shared store is down: fail open (the store logs the outage) rather than refuse
      // every login. Authentication itself is unaffected.
      return;
    }
    const blocked = counts.filter(
      (c, i) => c.count >= (i === 0 ? this.maxFailures * SOURCE_LIMIT_FACTOR : this.maxFailures),
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
}

function sourceKey(source: string): string {
  return `tokenvakt:failures:${source}`;
}

function identityKey(source: string, identity: string): string {
  return `tokenvakt:failures:${source}|${identity}`;
}
