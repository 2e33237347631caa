import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { digestSecret, generateId, generateSecret, SECRET_PREFIX } from '../auth/secrets';
import { formatScope } from '../auth/scope-policy';
import type { Client } from '../clients/client.entity';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MetricsService } from '../observability/metrics.service';
import { Token, type TokenType } from './token.entity';
import { TokenRepository, type ActiveTokenQuery } from './token.repository';

/** What one grant asks to be issued. */
export interface GrantToIssue {
  /** For metrics: the grant that issues these tokens. */
  grantType: 'authorization_code' | 'refresh_token' | 'password' | 'client_credentials';
  client: Client;
  /** The user the tokens act for (users.id); null for client credentials. */
  userId: number | null;
  /** The user's name, recorded as the tokens' subject; null for client credentials. */
  username: string | null;
  scopes: readonly string[];
  familyId: string;
  userAuthenticatedAt: Date | null;
  /** Set on refresh rotation: the new refresh token keeps the grant's absolute expiry. */
  refreshExpiresAt?: Date;
  /**
   * Set on refresh rotation: the new refresh token keeps the grant's whole scope even when
   * the access token asked for less (RFC 6749 §6).
   */
  refreshScopes?: readonly string[];
}

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      username?: string;
      token_type: 'Bearer' | 'refresh_token';
      exp: number;
      iat: number;
      sub: string;
    };

/** Why tokens were revoked, as counted in tokenvakt_revocations_total. */
export type RevocationCause = 'client' | 'super_client' | 'admin' | 'reuse';

/** The token endpoint's success body (RFC 6749 §5.1). */
export interface IssuedTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** What a grant issued, and the handle of its access token (for the personal-token reveal). */
export interface IssuedWithHandle {
  tokens: IssuedTokens;
  accessTokenHandle: string;
}

@Injectable()
export class TokenService {
  constructor(
    private readonly tokens: TokenRepository,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  newFamilyId(): string {
    return generateId();
  }

  /**
   * Issues an access token, and a refresh token for a confidential client acting for a user.
   * A public client gets a long-lived access token instead, and no refresh token (Kustvakt:
   * personal tokens for scripts). Client credentials never get a refresh token.
   */
  async issue(grant: GrantToIssue, manager?: EntityManager): Promise<IssuedTokens> {
    return (await this.issueWithHandle(grant, manager)).tokens;
  }

  /** `issue`, also naming the access token's handle. */
  async issueWithHandle(grant: GrantToIssue, manager?: EntityManager): Promise<IssuedWithHandle> {
    const now = new Date();
    const withRefresh = grant.userId !== null && grant.client.type === 'CONFIDENTIAL';
    const accessTtl =
      grant.client.type === 'PUBLIC'
        ? this.config.publicAccessTokenTtl
        : this.config.accessTokenTtl;
    const base = {
      userId: grant.userId,
      username: grant.username,
      clientId: grant.client.id,
      scope: formatScope(grant.scopes),
      familyId: grant.familyId,
      userAuthenticatedAt: grant.userAuthenticatedAt,
      createdAt: now,
      revokedAt: null,
      rotated: false,
      lastUsedAt: null,
    };
    const rows: Token[] = [];
    let refreshToken: string | undefined;
    let refreshHandle: string | null = null;
    if (withRefresh) {
      refreshToken = generateSecret(SECRET_PREFIX.refreshToken);
      refreshHandle = generateId();
      const refreshTtl = grant.client.refreshTokenExpiry ?? this.config.refreshTokenTtl;
      rows.push(
        Object.assign(new Token(), base, {
          handle: refreshHandle,
          digest: digestSecret(refreshToken),
          type: 'refresh_token' as const,
          refreshTokenHandle: null,
          scope: formatScope(grant.refreshScopes ?? grant.scopes),
          expiresAt: grant.refreshExpiresAt ?? new Date(now.getTime() + refreshTtl * 1000),
        }),
      );
    }
    const accessToken = generateSecret(SECRET_PREFIX.accessToken);
    const accessTokenHandle = generateId();
    rows.push(
      Object.assign(new Token(), base, {
        handle: accessTokenHandle,
        digest: digestSecret(accessToken),
        type: 'access_token' as const,
        refreshTokenHandle: refreshHandle,
        expiresAt: new Date(now.getTime() + accessTtl * 1000),
      }),
    );
    await this.tokens.insert(rows, manager);
    for (const row of rows)
      this.metrics.tokensIssued.inc({ grant_type: grant.grantType, token_type: row.type });
    const tokens: IssuedTokens = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: accessTtl,
      scope: base.scope,
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    };
    return { tokens, accessTokenHandle };
  }

  /**
   * RFC 7662 §2.2. Anything but a live token answers `{active: false}` and nothing else, so
   * the answer tells nothing about tokens that are unknown, expired or revoked.
   */
  async introspect(raw: string): Promise<IntrospectionResponse> {
    const token = await this.findByRawValue(raw);
    const now = new Date();
    if (!token || token.revokedAt !== null || token.expiresAt.getTime() <= now.getTime()) {
      return { active: false };
    }
    if (token.type === 'access_token') await this.tokens.recordUse(token, now);
    return {
      active: true,
      scope: token.scope,
      client_id: token.clientId,
      ...(token.username === null ? {} : { username: token.username }),
      // RFC 7662 takes token_type from RFC 6749 §7.1; a refresh token has no such type.
      token_type: token.type === 'access_token' ? 'Bearer' : 'refresh_token',
      exp: Math.floor(token.expiresAt.getTime() / 1000),
      iat: Math.floor(token.createdAt.getTime() / 1000),
      // A client-credentials token acts for the client itself.
      sub: token.username ?? token.clientId,
    };
  }

  /** Finds a token by its raw bearer value. */
  findByRawValue(raw: string): Promise<Token | null> {
    if (!raw.startsWith(SECRET_PREFIX.accessToken) && !raw.startsWith(SECRET_PREFIX.refreshToken)) {
      return Promise.resolve(null);
    }
    return this.tokens.findByDigest(digestSecret(raw));
  }

  /**
   * Revokes a token presented by its raw value. A refresh token ends its whole grant, every
   * token "based on the same authorization grant" (RFC 7009 §2.1): after a reissue within
   * REFRESH_TOKEN_REUSE_GRACE a grant can have more than one live refresh token, and a logout
   * must end them all. Either is one conditional UPDATE, atomic without a transaction.
   * Counted in tokenvakt_revocations_total when it revoked something.
   */
  async revoke(token: Token, cause: RevocationCause): Promise<void> {
    const now = new Date();
    const revoked =
      token.type === 'refresh_token'
        ? await this.tokens.revokeFamily(token.familyId, now)
        : Number(await this.tokens.revokeByHandle(token.handle, now));
    this.counted(cause, revoked);
  }

  /**
   * Revokes a token of this user named by its raw value or its handle (README: API at a glance). A token of
   * another user, or an unknown one, is left alone without saying so.
   */
  async revokeOwnToken(userId: number, tokenOrHandle: string): Promise<void> {
    // Only a value with a token prefix costs a digest lookup (findByRawValue).
    const token = await this.findByRawValue(tokenOrHandle);
    if (token) {
      if (token.userId === userId) await this.revoke(token, 'super_client');
      return;
    }
    await this.revokeByHandleIfOwned(userId, tokenOrHandle, 'super_client');
  }

  /** Admin API: revokes the user's token with this handle; anything else changes nothing. */
  revokeUserTokenByHandle(userId: number, handle: string): Promise<void> {
    return this.revokeByHandleIfOwned(userId, handle, 'admin');
  }

  /** One statement that checks the owner and revokes (with the access tokens issued with it). */
  private async revokeByHandleIfOwned(
    userId: number,
    handle: string,
    cause: RevocationCause,
  ): Promise<void> {
    const revoked = await this.tokens.revokeByHandleIfOwnedBy(userId, handle, new Date());
    this.counted(cause, Number(revoked));
  }

  async revokeForUser(userId: number): Promise<number> {
    return this.counted('admin', await this.tokens.revokeForUser(userId, new Date()));
  }

  async revokeForUserAndClient(userId: number, clientId: string): Promise<number> {
    const revoked = await this.tokens.revokeForUserAndClient(userId, clientId, new Date());
    return this.counted('super_client', revoked);
  }

  /** tokenvakt_revocations_total counts the requests that revoked at least one token. */
  private counted(cause: RevocationCause, revoked: number): number {
    if (revoked > 0) this.metrics.revocations.inc({ cause });
    return revoked;
  }

  listActive(query: ActiveTokenQuery): Promise<{ total: number; tokens: Token[] }> {
    return this.tokens.findActive(query);
  }
}

/** One entry of the token list (README: POST /oauth2/token/list) and the admin API. */
export interface TokenListEntry {
  token: string;
  token_type: TokenType;
  created_date: string;
  expires_in: number;
  expires_at: string;
  user_authentication_time: string | null;
  scope: string[];
  client_id: string;
  client_name: string | null;
  client_description: string | null;
  client_url: string | null;
  /** When an access token was last used as a bearer or introspected (to the minute). */
  last_used_at: string | null;
}

export function toTokenListEntry(token: Token, now: Date): TokenListEntry {
  return {
    token: token.handle,
    token_type: token.type,
    created_date: token.createdAt.toISOString(),
    expires_in: Math.max(0, Math.floor((token.expiresAt.getTime() - now.getTime()) / 1000)),
    expires_at: token.expiresAt.toISOString(),
    user_authentication_time: token.userAuthenticatedAt?.toISOString() ?? null,
    scope: token.scope === '' ? [] : token.scope.split(' ').sort(),
    client_id: token.clientId,
    client_name: token.client?.name ?? null,
    client_description: token.client?.description ?? null,
    client_url: token.client?.url ?? null,
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
  };
}
