import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { OAuthError } from '../common/oauth-error';
import type { Caller } from '../throttling/caller';
import { TokenRepository } from '../tokens/token.repository';
import { PasswordCheckQueue } from './password-check-queue';
import { hashPassword, verifyPassword } from './password-hasher';
import type { User } from './user.entity';
import { UserRepository } from './user.repository';

/** Usernames become token subjects and Basic credentials, so no ':' or white space. */
const USERNAME_PATTERN = /^[\p{L}\p{N}._@+-]{1,100}$/u;
const MAX_PASSWORD_LENGTH = 1024;

/**
 * Whether a name can be a username at all. Checked before any lookup: MySQL/MariaDB compare
 * `utf8mb4_bin` with PAD SPACE, so `alice ` would find `alice`; a name without white space
 * compares exactly on both dialects.
 */
export function isValidUsername(username: string): boolean {
  return USERNAME_PATTERN.test(username);
}

@Injectable()
export class UsersService {
  /** Checked against when a username is unknown, so timing does not reveal which exist. */
  private dummyHash?: Promise<string>;

  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenRepository,
    private readonly checks: PasswordCheckQueue,
  ) {}

  async create(username: string, password: string): Promise<void> {
    if (!isValidUsername(username)) {
      throw OAuthError.invalidRequest(
        'A username is 1..100 letters, digits or . _ @ + - characters.',
      );
    }
    if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
      throw OAuthError.invalidRequest(`A password is 1..${MAX_PASSWORD_LENGTH} characters.`);
    }
    if (await this.users.findByUsername(username)) {
      throw OAuthError.invalidRequest(`User "${username}" already exists.`);
    }
    await this.users.insert({
      username,
      passwordHash: await hashPassword(password),
      createdAt: new Date(),
    });
  }

  /** Deletes the user and revokes every token they hold; false when there was no such user. */
  async remove(username: string): Promise<boolean> {
    if (!isValidUsername(username)) return false;
    const removed = await this.users.deleteByUsername(username);
    await this.tokens.revokeForUser(username, new Date());
    return removed;
  }

  /**
   * The user, when the username exists and the password is its password; otherwise null. A
   * name that cannot be a username, or an overlong password, is refused before any lookup or
   * hashing. The hashing waits its turn in the PasswordCheckQueue (503 when it is full).
   */
  async verifyCredentials(
    username: string,
    password: string,
    caller: Caller,
  ): Promise<User | null> {
    if (!isValidUsername(username) || password.length > MAX_PASSWORD_LENGTH) return null;
    const user = await this.users.findByUsername(username);
    // An unknown user costs the same check as a known one, so timing does not tell them apart.
    const hash = user
      ? user.passwordHash
      : await (this.dummyHash ??= hashPassword(randomBytes(16).toString('hex')));
    const matches = await this.checks.run(caller, () => verifyPassword(password, hash));
    return user && matches ? user : null;
  }
}
