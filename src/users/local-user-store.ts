import { randomBytes } from 'node:crypto';
import type { Caller } from '../throttling/caller';
import type { PasswordCheckQueue } from './password-check-queue';
import { hashPassword, verifyPassword } from './password-hasher';
import type { User } from './user.entity';
import type { UserRepository } from './user.repository';
import type { UserStore } from './user-store';
import { isValidUsername, MAX_PASSWORD_LENGTH } from './users.service';

/** USER_STORE=local: users and their scrypt hashes in tokenvakt's own `users` table. */
export class LocalUserStore implements UserStore {
  /** Checked against when a username is unknown, so timing does not reveal which exist. */
  private dummyHash?: Promise<string>;

  constructor(
    private readonly users: UserRepository,
    private readonly checks: PasswordCheckQueue,
  ) {}

  /**
   * The user, when the username exists and the password is its password; otherwise null. A
   * name that cannot be a username, or an overlong password, is refused before any lookup or
   * hashing. The hashing waits its turn in the PasswordCheckQueue (503 when it is full). A row
   * without a hash (a directory user's, left from USER_STORE=ldap) matches no password.
   */
  async verify(username: string, password: string, caller: Caller): Promise<User | null> {
    if (!isValidUsername(username) || password.length > MAX_PASSWORD_LENGTH) return null;
    const user = await this.users.findByUsername(username);
    // An unknown user costs the same check as a known one, so timing does not tell them apart.
    const hash =
      user?.passwordHash ??
      (await (this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'))));
    const matches = await this.checks.run(caller, () => verifyPassword(password, hash));
    return user?.passwordHash && matches ? user : null;
  }

  health(): Promise<Record<string, 'up' | 'down'>> {
    return Promise.resolve({});
  }
}
