import { Injectable } from '@nestjs/common';
import { OAuthError } from '../common/oauth-error';
import { TokenRepository } from '../tokens/token.repository';
import { UsersService } from '../users/users.service';
import type { AuthenticatedUser } from './authenticated-user';
import { decodeBasicCredentials, parseAuthorizationHeader } from './basic-credentials';
import { BEARER_IDENTITY } from '../throttling/throttle.guard';
import { digestSecret, SECRET_PREFIX } from './secrets';

/**
 * Establishes the user behind a super-client request from its `Authorization` header
 * (SPEC §2): a Bearer access token issued to a super client, or Basic username:password.
 */
@Injectable()
export class UserAuthService {
  constructor(
    private readonly tokens: TokenRepository,
    private readonly users: UsersService,
  ) {}

  async authenticate(header: string | undefined): Promise<AuthenticatedUser> {
    const parsed = parseAuthorizationHeader(header);
    if (!parsed) {
      throw OAuthError.invalidToken('User authentication is required (Bearer or Basic).');
    }
    switch (parsed.scheme) {
      case 'bearer':
        return this.authenticateBearer(parsed.credentials);
      case 'basic':
        return this.authenticateBasic(parsed.credentials);
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
      throw OAuthError.invalidToken(
        'The access token is unknown, expired or revoked.',
      ).countsAsFailureOf(BEARER_IDENTITY);
    }
    if (
      token.type !== 'access_token' ||
      token.revokedAt !== null ||
      token.expiresAt.getTime() <= now.getTime()
    ) {
      throw OAuthError.invalidToken('The access token is unknown, expired or revoked.');
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

  private async authenticateBasic(credentials: string): Promise<AuthenticatedUser> {
    const decoded = decodeBasicCredentials(credentials);
    if (!decoded) throw OAuthError.invalidToken('The username or password is wrong.');
    const user = await this.users.verifyCredentials(decoded.user, decoded.password);
    if (!user) {
      throw OAuthError.invalidToken('The username or password is wrong.').countsAsFailureOf(
        decoded.user,
      );
    }
    return { userId: user.id, username: user.username, authenticatedAt: new Date() };
  }
}
