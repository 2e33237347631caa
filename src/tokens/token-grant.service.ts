import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { transactionRetryingLockConflicts } from '../database/lock-conflicts';
import { digestSecret, SECRET_PREFIX } from '../auth/secrets';
import { ALL_SCOPE, APP_CONFIG, type AppConfig } from '../config/app-config';
import { UserAuthService } from '../auth/user-auth.service';
import { parseScope, ScopePolicy } from '../auth/scope-policy';
import type { AuthorizationCode } from '../authorization/authorization-code.entity';
import { AuthorizationCodeRepository } from '../authorization/authorization-code.repository';
import { ClientAuthService, type PresentedClientCredentials } from '../auth/client-auth.service';
import { verifyS256 } from '../authorization/pkce';
import type { Client } from '../clients/client.entity';
import { sameRedirectUri } from '../clients/redirect-uri';
import { OAuthError } from '../common/oauth-error';
import { MetricsService } from '../observability/metrics.service';
import type { Caller } from '../throttling/caller';
import { UserRepository } from '../users/user.repository';
import type { TokenRequestDto } from './token-request.dto';
import type { Token } from './token.entity';
import { TokenRepository } from './token.repository';
import { PersonalTokenReveal } from './personal-token-reveal';
import {
  TokenService,
  type GrantToIssue,
  type IssuedTokens,
  type IssuedWithHandle,
} from './token.service';

/** Thrown inside a transaction when another request already used the code or token. */
class AlreadyUsed extends Error {}

/** The four grants of POST /oauth2/token (README: API at a glance). */
@Injectable()
export class TokenGrantService {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly tokenService: TokenService,
    private readonly tokens: TokenRepository,
    private readonly codes: AuthorizationCodeRepository,
    private readonly userAuth: UserAuthService,
    private readonly userRows: UserRepository,
    private readonly scopes: ScopePolicy,
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly personalTokens: PersonalTokenReveal,
  ) {}

  /**
   * POST /oauth2/token. The request's shape is checked before the client (RFC 6749 §5.2 names
   * no order; Kustvakt, through Nimbus, parses the request first): a form without grant_type,
   * with an unknown one, or without the grant's own required parameters is answered 400 before
   * any client credential is looked at, so such a request costs no secret check and is not
   * counted by the throttle. Then the client authenticates, then the grant decides.
   */
  async token(presented: PresentedClientCredentials, form: TokenRequestDto): Promise<IssuedTokens> {
    const request = wellFormed(form);
    let client: Client;
    try {
      client = await this.clientAuth.authenticateAtEndpoint(presented);
    } catch (error) {
      // A code presented with failed client authentication is spent too (see
      // authorizationCode): whoever sent it holds it, and only its client may redeem it.
      if (request.grantType === 'authorization_code') {
        await this.spendAfterRefusal(error, request.code);
      }
      throw error;
    }
    switch (request.grantType) {
      case 'authorization_code':
        return this.authorizationCode(client, request.code, form);
      case 'refresh_token':
        return this.refreshToken(client, request.refreshToken, form);
      case 'password':
        return this.password(client, request, form, presented.caller);
      case 'client_credentials':
        return this.clientCredentials(client, form);
    }
  }

  /**
   * RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6) and single use (RFC 6749 §4.1.2, RFC 9700
   * §4.2.4). A code is spent by its first redemption attempt, successful or not: a request
   * that presents it and is refused (wrong client, wrong or missing redirect_uri or
   * code_verifier, failed client authentication) spends it as well, so the right request
   * after a wrong one is refused too (Kustvakt's oauth2.max.attempts, 1 by default). Either it
   * was a broken client, which must start over, or someone else holds the code (RFC 6749
   * §10.5), who then gets nothing by guessing the rest. A stranger cannot spend a code without
   * holding it: codes are 256 random bits.
   */
  private async authorizationCode(
    client: Client,
    rawCode: string,
    form: TokenRequestDto,
  ): Promise<IssuedTokens> {
    const digest = codeDigest(rawCode);
    const code = digest === undefined ? null : await this.codes.findByDigest(digest);
    const now = new Date();
    if (!code || code.expiresAt.getTime() <= now.getTime()) {
      throw OAuthError.invalidGrant(
        'The authorization code is unknown, expired, or was issued to another client.',
      );
    }
    const refusal = redemptionRefusal(client, code, form);
    if (refusal) {
      await this.codes.spend(code.digest, now);
      throw refusal;
    }
    try {
      return await transactionRetryingLockConflicts(this.dataSource, async (manager) => {
        if (!(await this.codes.markRedeemed(code.digest, now, manager))) throw new AlreadyUsed();
        const issued = await this.issueForExistingUser(
          {
            grantType: 'authorization_code',
            client,
            userId: code.userId,
            username: code.username,
            scopes: parseScope(code.scope),
            familyId: code.familyId,
            userAuthenticatedAt: code.userAuthenticatedAt,
          },
          manager,
        );
        await this.offerPersonalToken(code, client, issued);
        return issued.tokens;
      });
    } catch (error) {
      if (!(error instanceof AlreadyUsed)) throw error;
      // A replayed code may be in an attacker's hands: revoke what the first use issued. A
      // code spent by a refused attempt issued nothing, so nothing is revoked.
      await this.revokeReusedFamily(code.familyId);
      throw OAuthError.invalidGrant('The authorization code has already been used.');
    }
  }

  /**
   * Spends the presented code after its redemption was refused before the code was judged
   * (client authentication). Not after a 429 or a 5xx: such a request was not judged at all,
   * and the client may retry it.
   */
  private async spendAfterRefusal(error: unknown, rawCode: string): Promise<void> {
    if (!(error instanceof OAuthError) || error.status >= 500 || error.status === 429) return;
    const digest = codeDigest(rawCode);
    if (digest !== undefined) await this.codes.spend(digest, new Date());
  }

  /**
   * RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2), softened by
   * REFRESH_TOKEN_REUSE_GRACE for clients that refresh concurrently (Kalamar refreshes per
   * request, without a lock): the just-rotated token, presented again by its own client
   * within the grace, gets another pair of the same grant instead of revoking it.
   */
  private async refreshToken(
    client: Client,
    rawToken: string,
    form: TokenRequestDto,
  ): Promise<IssuedTokens> {
    let token = await this.tokenService.findByRawValue(rawToken);
    if (!token || token.type !== 'refresh_token' || token.clientId !== client.id) {
      throw OAuthError.invalidGrant(
        'The refresh token is unknown or was issued to another client.',
      );
    }
    if (token.revokedAt === null) {
      const rotated = await this.rotate(client, token, form);
      if (rotated) return rotated;
      // Another request rotated (or revoked) it since it was read: decide on what it is now.
      token = await this.tokenService.findByRawValue(rawToken);
      if (!token) throw OAuthError.invalidGrant('The refresh token has been revoked.');
    }
    if (token.rotated && this.withinReuseGrace(token)) {
      return this.reissueWithinGrace(client, token, form);
    }
    if (token.rotated) await this.revokeReusedFamily(token.familyId);
    throw OAuthError.invalidGrant('The refresh token has been revoked.');
  }

  /**
   * Exchanges a live refresh token for a new pair; undefined when another request rotated or
   * revoked it first (the conditional UPDATE changed nothing).
   */
  private async rotate(
    client: Client,
    token: Token,
    form: TokenRequestDto,
  ): Promise<IssuedTokens | undefined> {
    const now = new Date();
    if (token.expiresAt.getTime() <= now.getTime()) {
      throw OAuthError.invalidGrant('The refresh token has expired.');
    }
    const grant = this.refreshedGrant(client, token, form);
    try {
      return await transactionRetryingLockConflicts(this.dataSource, async (manager) => {
        if (!(await this.tokens.rotate(token.handle, now, manager))) throw new AlreadyUsed();
        await this.tokens.revokeIssuedWith(token.handle, now, manager);
        return this.tokenService.issue(grant, manager);
      });
    } catch (error) {
      if (error instanceof AlreadyUsed) return undefined;
      throw error;
    }
  }

  /** A rotated token whose rotation (its revoked_at) is less than the grace ago, not expired. */
  private withinReuseGrace(token: Token): boolean {
    const now = Date.now();
    return (
      token.revokedAt !== null &&
      now - token.revokedAt.getTime() < this.config.refreshTokenReuseGrace * 1000 &&
      token.expiresAt.getTime() > now
    );
  }

  /**
   * Another pair for the rotated `token`, in its grant, leaving `token` as it is. Never brings
   * a dead grant back: the new pair is inserted, then the grant must still have another live
   * refresh token, in one transaction, or nothing is issued. As in issueForExistingUser, a
   * revocation racing this either committed first, so the check sees it, or it waits for the
   * rows inserted here and revokes them too.
   */
  private async reissueWithinGrace(
    client: Client,
    token: Token,
    form: TokenRequestDto,
  ): Promise<IssuedTokens> {
    const grant = this.refreshedGrant(client, token, form);
    return transactionRetryingLockConflicts(this.dataSource, async (manager) => {
      const issued = await this.tokenService.issue(grant, manager);
      const live = await this.tokens.familyHasLiveRefreshTokenBesides(
        token.familyId,
        digestSecret(issued.refresh_token ?? ''),
        new Date(),
        manager,
      );
      if (!live) throw OAuthError.invalidGrant('The refresh token has been revoked.');
      return issued;
    });
  }

  /**
   * What refreshing `token` issues: the requested scope, at most the one granted (RFC 6749
   * §6); the new refresh token keeps the grant's whole scope and its expiry (rotation never
   * extends a grant).
   */
  private refreshedGrant(client: Client, token: Token, form: TokenRequestDto): GrantToIssue {
    const granted = parseScope(token.scope);
    let scopes = granted;
    if (form.scope !== undefined) {
      scopes = parseScope(form.scope);
      if (scopes.length === 0 || scopes.some((s) => !granted.includes(s))) {
        throw OAuthError.invalidScope('The requested scope exceeds the scope originally granted.');
      }
    }
    return {
      grantType: 'refresh_token',
      client,
      userId: token.userId,
      username: token.username,
      scopes,
      familyId: token.familyId,
      userAuthenticatedAt: token.userAuthenticatedAt,
      refreshExpiresAt: token.expiresAt,
      refreshScopes: granted,
    };
  }

  /**
   * A code the super client's own page asked for, redeemed by a public client, is a personal
   * token: it is revealed once in that super client's token list (README: Security model,
   * personal tokens). A confidential client's token is never revealed: it has a secret, and
   * its own refresh token.
   */
  private async offerPersonalToken(
    code: AuthorizationCode,
    client: Client,
    issued: IssuedWithHandle,
  ): Promise<void> {
    if (code.revealToClientId === null || client.type !== 'PUBLIC') return;
    await this.personalTokens.offer(
      { superClientId: code.revealToClientId, userId: code.userId },
      issued.accessTokenHandle,
      issued.tokens.access_token,
    );
  }

  /**
   * A used code or an exchanged refresh token came back: someone holds a copy, so end the
   * grant. Counted in the metrics only when it revoked a live token, as every other cause.
   */
  private async revokeReusedFamily(familyId: string): Promise<void> {
    const revoked = await this.tokens.revokeFamily(familyId, new Date());
    if (revoked > 0) this.metrics.revocations.inc({ cause: 'reuse' });
  }

  /** RFC 6749 §4.3, for first-party super clients only (README: API at a glance). */
  private async password(
    client: Client,
    { username, password }: { username: string; password: string },
    form: TokenRequestDto,
    caller: Caller,
  ): Promise<IssuedTokens> {
    // A public client proves nothing with its client_id: never let one log users in, even
    // should a public super client reach the table (start-up refuses one).
    if (!client.isSuper || client.type !== 'CONFIDENTIAL') {
      throw new OAuthError(
        400,
        'unauthorized_client',
        'The password grant is for super clients only.',
      );
    }
    const user = await this.userAuth.checkPassword(caller, username, password);
    if (!user) {
      throw OAuthError.invalidGrant('The username or password is wrong.').countsAsFailureOf(
        username,
        true,
      );
    }
    const scopes =
      form.scope === undefined ? [ALL_SCOPE] : this.scopes.grantable(form.scope, client);
    const grant = {
      grantType: 'password' as const,
      client,
      userId: user.id,
      username: user.username,
      scopes,
      familyId: this.tokenService.newFamilyId(),
      userAuthenticatedAt: new Date(),
    };
    return transactionRetryingLockConflicts(
      this.dataSource,
      async (manager) => (await this.issueForExistingUser(grant, manager)).tokens,
    );
  }

  /**
   * Issues a user's tokens in `manager`'s transaction, then checks that the user still exists,
   * so that a removal racing the grant (after the code was issued or the password checked)
   * leaves no live token: `users remove` revokes what was inserted before its revocation,
   * waiting for this transaction if need be, and a transaction that inserts after it finds the
   * user gone here and rolls back.
   */
  private async issueForExistingUser(
    grant: GrantToIssue & { userId: number },
    manager: EntityManager,
  ): Promise<IssuedWithHandle> {
    const issued = await this.tokenService.issueWithHandle(grant, manager);
    if (!(await this.userRows.existsById(grant.userId, manager))) {
      throw OAuthError.invalidGrant('The user has been removed.');
    }
    return issued;
  }

  /**
   * RFC 6749 §4.4: confidential clients only; no user and no refresh token (§4.4.3). The scope
   * is narrowed to what the client may hold (ScopePolicy.narrowed, as in Kustvakt).
   */
  private async clientCredentials(client: Client, form: TokenRequestDto): Promise<IssuedTokens> {
    if (client.type !== 'CONFIDENTIAL') {
      throw new OAuthError(
        400,
        'unauthorized_client',
        'Public clients cannot use client_credentials.',
      );
    }
    return this.tokenService.issue({
      grantType: 'client_credentials',
      client,
      userId: null,
      username: null,
      scopes: this.scopes.narrowed(form.scope, client),
      familyId: this.tokenService.newFamilyId(),
      userAuthenticatedAt: null,
    });
  }
}

/** A token request whose grant is known and has its required parameters (RFC 6749 §4, §6). */
type WellFormedRequest =
  | { grantType: 'authorization_code'; code: string }
  | { grantType: 'refresh_token'; refreshToken: string }
  | { grantType: 'password'; username: string; password: string }
  | { grantType: 'client_credentials' };

/**
 * The request's shape, checked before client authentication: 400 invalid_request without
 * grant_type (an empty form included) or without a parameter the grant requires, 400
 * unsupported_grant_type for a grant this server does not issue (RFC 6749 §5.2). An empty value
 * is no value (RFC 6749 §3.1; readFormFields has already left it out).
 */
function wellFormed(form: TokenRequestDto): WellFormedRequest {
  switch (form.grant_type) {
    case undefined:
      throw OAuthError.invalidRequest('grant_type is required.');
    case 'authorization_code':
      if (form.code === undefined) throw OAuthError.invalidRequest('code is required.');
      return { grantType: form.grant_type, code: form.code };
    case 'refresh_token':
      if (form.refresh_token === undefined) {
        throw OAuthError.invalidRequest('refresh_token is required.');
      }
      return { grantType: form.grant_type, refreshToken: form.refresh_token };
    case 'password':
      if (form.username === undefined || form.password === undefined) {
        throw OAuthError.invalidRequest('username and password are required.');
      }
      return { grantType: form.grant_type, username: form.username, password: form.password };
    case 'client_credentials':
      return { grantType: form.grant_type };
    default:
      throw new OAuthError(400, 'unsupported_grant_type', 'The grant_type is not supported.');
  }
}

/** The digest a code is stored under, or undefined for a value that is no code of ours. */
function codeDigest(rawCode: string): string | undefined {
  return rawCode.startsWith(SECRET_PREFIX.authorizationCode) ? digestSecret(rawCode) : undefined;
}

/**
 * Why this authenticated client may not redeem this live code, or undefined when it may: the
 * code is another client's; the redirect URI is not the one the code is bound to (§4.1.3,
 * compared in canonical form, as at the authorization endpoint), or is missing when the
 * authorize request named it; the PKCE verifier does not match (RFC 7636 §4.6), or is sent for
 * a code issued without a challenge (RFC 9700 §2.1.1: a downgrade attempt).
 */
function redemptionRefusal(
  client: Client,
  code: AuthorizationCode,
  form: TokenRequestDto,
): OAuthError | undefined {
  if (code.clientId !== client.id) {
    // The same words as for an unknown code: nothing tells whose code it is.
    return OAuthError.invalidGrant(
      'The authorization code is unknown, expired, or was issued to another client.',
    );
  }
  if (code.redirectUriSent && form.redirect_uri === undefined) {
    return OAuthError.invalidGrant(
      'redirect_uri is required: the authorization request named one.',
    );
  }
  if (form.redirect_uri !== undefined && !sameRedirectUri(form.redirect_uri, code.redirectUri)) {
    return OAuthError.invalidGrant('redirect_uri does not match the authorization request.');
  }
  if (code.codeChallenge !== null) {
    if (form.code_verifier === undefined || !verifyS256(form.code_verifier, code.codeChallenge)) {
      return OAuthError.invalidGrant('The code_verifier does not match the code_challenge.');
    }
  } else if (form.code_verifier !== undefined) {
    return OAuthError.invalidGrant(
      'A code_verifier was sent but the authorization request had no code_challenge.',
    );
  }
  return undefined;
}
