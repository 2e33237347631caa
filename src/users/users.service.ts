import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuthorizationCodeRepository } from '../authorization/authorization-code.repository';
import { OAuthError } from '../common/oauth-error';
import { transactionRetryingLockConflicts } from '../database/lock-conflicts';
import { InstalledPluginRepository } from '../kustvakt/plugins/installed-plugin.repository';
import { TokenRepository } from '../tokens/token.repository';
import { hashPassword } from './password-hasher';
import type { User } from './user.entity';
import { UserRepository } from './user.repository';

/** Usernames become token subjects and Basic credentials, so no ':' or white space. */
const USERNAME_PATTERN = /^[\p{L}\p{N}._@+-]{1,100}$/u;
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * Whether a name can be a username at all. Checked before any lookup: MySQL/MariaDB compare
 * `utf8mb4_bin` with PAD SPACE, so `alice ` would find `alice`; a name without white space
 * compares exactly on both dialects.
 */
export function isValidUsername(username: string): boolean {
  return USERNAME_PATTERN.test(username);
}

function assertAcceptablePassword(password: string): void {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw OAuthError.invalidRequest(`A password is 1..${MAX_PASSWORD_LENGTH} characters.`);
  }
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenRepository,
    private readonly codes: AuthorizationCodeRepository,
    private readonly installedPlugins: InstalledPluginRepository,
    private readonly dataSource: DataSource,
  ) {}

  async create(username: string, password: string): Promise<void> {
    if (!isValidUsername(username)) {
      throw OAuthError.invalidRequest(
        'A username is 1..100 letters, digits or . _ @ + - characters.',
      );
    }
    assertAcceptablePassword(password);
    if (await this.users.findByUsername(username)) {
      throw OAuthError.invalidRequest(`User "${username}" already exists.`);
    }
    await this.users.insert({
      username,
      passwordHash: await hashPassword(password),
      createdAt: new Date(),
    });
  }

  /** Every user, by name. */
  list(): Promise<User[]> {
    return this.users.findAll();
  }

  /**
   * Sets a user's password (operator CLI). Unless `revokeTokens` is false, every token the
   * user holds is revoked too: a new password usually means the old one leaked, and its
   * sessions with it. Returns how many tokens were revoked.
   */
  async setPassword(username: string, password: string, revokeTokens: boolean): Promise<number> {
    assertAcceptablePassword(password);
    const user = isValidUsername(username) ? await this.users.findByUsername(username) : null;
    if (!user) throw OAuthError.notFound(`No user "${username}".`);
    await this.users.updatePasswordHash(user.id, await hashPassword(password));
    return revokeTokens ? this.tokens.revokeForUser(user.id, new Date()) : 0;
  }

  /**
   * Removes a user in one transaction: their pending authorization codes and their installed
   * plugins are deleted, every token they hold is revoked, and the row is deleted. Their id is never given to anyone
   * again, so a new user of the same name owns none of it. False when there was no such user.
   */
  async remove(username: string): Promise<boolean> {
    if (!isValidUsername(username)) return false;
    return transactionRetryingLockConflicts(this.dataSource, async (manager) => {
      const user = await this.users.findByUsername(username, manager);
      if (!user) return false;
      await this.codes.deleteForUser(user.id, manager);
      await this.installedPlugins.deleteForUser(user.id, manager);
      await this.tokens.revokeForUser(user.id, new Date(), manager);
      return this.users.delete(user.id, manager);
    });
  }

  /** The id of the user who now has this name, or null (also for a name no user can have). */
  async findId(username: string): Promise<number | null> {
    if (!isValidUsername(username)) return null;
    return (await this.users.findByUsername(username))?.id ?? null;
  }
}
