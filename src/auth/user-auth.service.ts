import { Inject, Injectable } from '@nestjs/common';
import { OAuthError } from '../common/oauth-error';
import type { Caller } from '../throttling/caller';
import { FailureThrottle } from '../throttling/failure-throttle.service';
import { BEARER_IDENTITY } from '../throttling/throttle.guard';
import { TokenRepository } from '../tokens/token.repository';
import type { User } from '../users/user.entity';
import { USER_STORE, type UserStore } from '../users/user-store';
import { isValidUsername } from '../users/users.service';
import type { AuthenticatedUser } from './authenticated-user';
import { decodeBasicCredentials, parseAuthorizationHeader } from './basic-credentials';
import { digestSecret, SECRET_PREFIX } from './secrets';

const WRONG_PASSWORD = 'The username or password is wrong.';
const DEAD_BEARER = 'The access token is unknown, expired or revoked.';

/**
 * Establishes the user behind a super-client request from its `Authorization` header
 * (README: API at a glance): a Bearer access token issued to a super client, or Basic username:password.
 */
@Injectable()
export class UserAuthService {
  constructor(
    private readonly tokens: TokenRepository,
    @Inject(USER_STORE) private readonly store: UserStore,
    private readonly throttle: FailureThrottle,
  ) {}

  /**
   * Checks a user's password (Basic here, and the password grant) with the configured user
   * store, local or LDAP: a name that cannot be a username is refused before any lookup,
   * hashing or directory search; otherwise the failure is reserved with the throttle before
   * the check (429 past the limit). The user, or null when wrong.
   */
  checkPassword(caller: Caller, username: string, password: string): Promise<User | null> {
    if (!isValidUsername(username)) return Promise.resolve(null);
    return this.throttle.attempt(caller, username, () =>
      this.store.verify(username, password, caller),
    );
  }

  async authenticate(header: string | undefined, caller: Caller): Promise<AuthenticatedUser> {
    const parsed = parseAuthorizationHeader(header);
    if (!parsed) {
      throw OAuthError.invalidToken('User authentication is required (Bearer or Basic).');
    }
    switch (parsed.scheme) {
      case 'bearer':
        return this.authenticateBearer(parsed.credentials);
      case 'basic':
        return this.authenticateBasic(parsed.credentials, caller);
      case 'other':
        throw OAuthError.invalidToken('Only the Bearer and Basic schemes are supported.');
    }
  }

  private async authenticateBearer(raw: string): Promise<AuthenticatedUser> {
    const token = raw.startsWith(SECRET_PREFIX.accessToken)
      ? await this.tokens.findByDigest(digestSecret(raw))
      : null;
    const now = new Date();
    if (!token) {
      // Expired and revoked sessions are everyday traffic; only an unknown token is a guess.
      throw OAuthError.invalidToken(DEAD_BEARER)
        .refusesBearer('invalid')
        .countsAsFailureOf(BEARER_IDENTITY);
    }
    if (token.type !== 'access_token' || token.revokedAt !== null) {
      throw OAuthError.invalidToken(DEAD_BEARER).refusesBearer('invalid');
    }
    if (token.expiresAt.getTime() <= now.getTime()) {
      throw OAuthError.invalidToken(DEAD_BEARER).refusesBearer('expired');
    }
    // Only a super client's session acts for the user here; a token a third-party client
    // holds, or a client-credentials token (no user), does not reach these services.
    if (token.userId === null || token.username === null || !token.client?.isSuper) {
      throw OAuthError.insufficientScope(
        'The access token was not issued to a super client for a user.',
      );
    }
    // Its use is recorded by BearerUseInterceptor once the request has succeeded.
    return {
      userId: token.userId,
      username: token.username,
      authenticatedAt: token.userAuthenticatedAt ?? token.createdAt,
      bearerToken: token,
    };
  }

  private async authenticateBasic(credentials: string, caller: Caller): Promise<AuthenticatedUser> {
    const decoded = decodeBasicCredentials(credentials);
    if (!decoded) throw OAuthError.invalidToken(WRONG_PASSWORD, 'Basic');
    const user = await this.checkPassword(caller, decoded.user, decoded.password);
    if (!user) {
      throw OAuthError.invalidToken(WRONG_PASSWORD, 'Basic').countsAsFailureOf(decoded.user, true);
    }
    return { userId: user.id, username: user.username, authenticatedAt: new Date() };
  }
}
