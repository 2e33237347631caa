import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuthorizationCodeRepository } from '../authorization/authorization-code.repository';
import { OAuthError } from '../common/oauth-error';
import { transactionRetryingLockConflicts } from '../database/lock-conflicts';
import { TokenRepository } from '../tokens/token.repository';
import { hashPassword, verifyPassword } from './password-hasher';
import type { User } from './user.entity';
import { UserRepository } from './user.repository';

/** Usernames become token subjects and Basic credentials, so no ':' or white space. */
const USERNAME_PATTERN = /^[\p{L}\p{N}._@+-]{1,100}$/u;
const MAX_PASSWORD_LENGTH = 1024;

@Injectable()
export class UsersService {
  /** Checked against when a username is unknown, so timing does not reveal which exist. */
  private dummyHash?: Promise<string>;

  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenRepository,
    private readonly codes: AuthorizationCodeRepository,
    private readonly dataSource: DataSource,
  ) {}

  async create(username: string, password: string): Promise<void> {
    if (!USERNAME_PATTERN.test(username)) {
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

  /**
   * Removes a user in one transaction: their pending authorization codes are deleted, every
   * token they hold is revoked, and the row is deleted. Their id is never given to anyone
   * again, so a new user of the same name owns none of it. False when there was no such user.
   */
  async remove(username: string): Promise<boolean> {
    return transactionRetryingLockConflicts(this.dataSource, async (manager) => {
      const user = await this.users.findByUsername(username, manager);
      if (!user) return false;
      await this.codes.deleteForUser(user.id, manager);
      await this.tokens.revokeForUser(user.id, new Date(), manager);
      return this.users.delete(user.id, manager);
    });
  }

  /** The id of the user who now has this name, or null. */
  async findId(username: string): Promise<number | null> {
    return (await this.users.findByUsername(username))?.id ?? null;
  }

  /** The user, when the username exists and the password is its password; else null. */
  async verifyCredentials(username: string, password: string): Promise<User | null> {
    if (password.length > MAX_PASSWORD_LENGTH) return null;
    const user = await this.users.findByUsername(username);
    if (!user) {
      this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(password, await this.dummyHash);
      return null;
    }
    return (await verifyPassword(password, user.passwordHash)) ? user : null;
  }
}
