import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { OAuthError } from '../common/oauth-error';
import { TokenRepository } from '../tokens/token.repository';
import { hashPassword, verifyPassword } from './password-hasher';
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

  /** Deletes the user and revokes every token they hold; false when there was no such user. */
  async remove(username: string): Promise<boolean> {
    const removed = await this.users.deleteByUsername(username);
    await this.tokens.revokeForUser(username, new Date());
    return removed;
  }

  /** True when the username exists and the password is its password. */
  async verifyCredentials(username: string, password: string): Promise<boolean> {
    if (password.length > MAX_PASSWORD_LENGTH) return false;
    const user = await this.users.findByUsername(username);
    if (!user) {
      this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(password, await this.dummyHash);
      return false;
    }
    return verifyPassword(password, user.passwordHash);
  }
}
