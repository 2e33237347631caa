import type { Caller } from '../throttling/caller';
import type { User } from './user.entity';

/**
 * Where users and their passwords live (README: Users in LDAP): tokenvakt's own table with
 * scrypt hashes (USER_STORE=local) or an LDAP directory (USER_STORE=ldap), chosen once at
 * start-up. Everything that checks a password (UserAuthService: Basic and the password
 * grant) asks this, and never knows which store answers. Either way the answer is a row of
 * `users`: tokens belong to its id (README: Who is who).
 */
export interface UserStore {
  /**
   * The user whose login and password these are, or null: a wrong password, an unknown or
   * ambiguous login, a blocked user. Throws OAuthError 503 when the store cannot answer now
   * (no free place in the check queue, the directory away), never null for that.
   */
  verify(login: string, password: string, caller: Caller): Promise<User | null>;

  /** What `/health/ready` reports beside the database: nothing for the local store. */
  health(): Promise<Readonly<Record<string, 'up' | 'down'>>>;
}

/** Nest injection token for the configured UserStore. */
export const USER_STORE = Symbol('USER_STORE');
