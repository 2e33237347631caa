import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Entry } from 'ldapts';
import { OAuthError } from '../common/oauth-error';
import type { LdapConfig } from '../config/app-config';
import { type Caller, CheckAbandoned } from '../throttling/caller';
import { DirectoryPool, type DirectoryLane, within } from './ldap-directory';
import { loginFilter } from './ldap-filter';
import type { PasswordCheckQueue } from './password-check-queue';
import type { User } from './user.entity';
import type { UserRepository } from './user.repository';
import type { UserStore } from './user-store';
import { isValidUsername, MAX_PASSWORD_LENGTH } from './users.service';

/** How long /health/ready waits for the directory, as for the database. */
const HEALTH_TIMEOUT_MS = 1000;

function directoryUnavailable(): OAuthError {
  return new OAuthError(
    503,
    'temporarily_unavailable',
    'The user directory is not available; try again shortly.',
    { 'Retry-After': '1' },
  );
}

/** The values of `attribute` in `entry` (attribute names compare case-insensitively). */
function attributeValues(entry: Entry, attribute: string): string[] {
  const key = Object.keys(entry).find((name) => name.toLowerCase() === attribute.toLowerCase());
  const value = key === undefined ? [] : (entry[key] ?? []);
  return (Array.isArray(value) ? value : [value]).map((v) =>
    Buffer.isBuffer(v) ? v.toString('utf8') : v,
  );
}

/**
 * USER_STORE=ldap (README: Users in LDAP): the directory checks the password, as KorAP's
 * Kustvakt does. The service account searches LDAP_SEARCH_BASE with LDAP_SEARCH_FILTER for
 * the login; exactly one entry must match (none or several: the answer to a wrong password);
 * then a bind as that entry's DN with the given password, on another connection, decides.
 * tokenvakt never compares, stores or logs the password.
 *
 * The user is the row of `users` named by the entry's LDAP_USERNAME_ATTRIBUTE, made at the
 * first login: logging in by uid or by e-mail gives the same user and the same tokens.
 *
 * A directory that cannot be asked (down, refusing the service bind, silent for LDAP_TIMEOUT)
 * answers 503, never "wrong password". Checks wait their turn in a PasswordCheckQueue as wide
 * as the pool (fair between sources, 503 at once when its wait list is full).
 */
export class LdapUserStore implements UserStore, OnApplicationShutdown {
  private readonly pool: DirectoryPool;
  private readonly logger = new Logger('LdapUserStore');
  private lastWarning = 0;

  constructor(
    private readonly settings: LdapConfig,
    private readonly users: UserRepository,
    private readonly checks: PasswordCheckQueue,
  ) {
    this.pool = new DirectoryPool(settings);
  }

  async verify(login: string, password: string, caller: Caller): Promise<User | null> {
    // The username rule keeps every filter metacharacter out before escaping does (README:
    // Names are checked before they are looked up); an empty password is never sent.
    if (!isValidUsername(login) || password === '' || password.length > MAX_PASSWORD_LENGTH) {
      return null;
    }
    let username: string | null;
    try {
      username = await this.checks.run(caller, () =>
        this.pool.use((lane) => this.check(lane, login, password)),
      );
    } catch (error) {
      if (error instanceof OAuthError || error instanceof CheckAbandoned) throw error;
      this.warn(`the directory cannot be asked: ${describe(error)}`);
      throw directoryUnavailable();
    }
    return username === null ? null : this.users.findOrInsertWithoutPassword(username);
  }

  async health(): Promise<Record<string, 'up' | 'down'>> {
    try {
      await within(
        HEALTH_TIMEOUT_MS,
        this.pool.use((lane) => lane.probe(this.settings.searchBase)),
        // A probe still waiting ends by itself, bounded by LDAP_TIMEOUT.
        () => undefined,
      );
      return { directory: 'up' };
    } catch (error) {
      this.warn(`the directory does not answer: ${describe(error)}`);
      return { directory: 'down' };
    }
  }

  onApplicationShutdown(): void {
    this.pool.close();
  }

  /** The username of the one entry the login names, when `password` binds as it; else null. */
  private async check(
    lane: DirectoryLane,
    login: string,
    password: string,
  ): Promise<string | null> {
    const entries = await lane.search(
      this.settings.searchBase,
      loginFilter(this.settings.searchFilter, login),
      this.settings.usernameAttribute,
    );
    const [entry] = entries;
    if (entry === undefined || entries.length > 1) return null;
    const [username, ...more] = attributeValues(entry, this.settings.usernameAttribute);
    if (username === undefined || more.length > 0 || !isValidUsername(username)) {
      // The directory's data, not the user's typing: the operator should hear of it.
      this.logger.warn(
        `${entry.dn} cannot log in: it needs exactly one ${this.settings.usernameAttribute} that is a valid username (1 to 100 letters, digits or . _ @ + -)`,
      );
      return null;
    }
    return (await lane.bind(entry.dn, password)) ? username : null;
  }

  /** At most one warning every 30 s, however many requests meet an outage. */
  private warn(message: string): void {
    if (Date.now() - this.lastWarning < 30_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(message);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
