import { Inject, Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { formatScope, ScopePolicy } from '../auth/scope-policy';
import { digestSecret, generateId, generateSecret, SECRET_PREFIX } from '../auth/secrets';
import type { Client } from '../clients/client.entity';
import { ClientRepository } from '../clients/client.repository';
import { canonicalRedirectUri, sameRedirectUri } from '../clients/redirect-uri';
import { OAuthError } from '../common/oauth-error';
import { APP_CONFIG, type AppConfig, type PkceRequired } from '../config/app-config';
import { AuthorizationCode } from './authorization-code.entity';
import { AuthorizationCodeRepository } from './authorization-code.repository';
import type { AuthorizeQueryDto } from './authorize-query.dto';
import { isValidS256Challenge } from './pkce';
import { superClientPage, type SuperClientPage } from './super-client-page';

/**
 * The authorization endpoint (RFC 6749 §4.1.1), called by a super client for its logged-in
 * user, by GET or (Kustvakt's v1.0 path) POST with the same rules. Returns the URL to redirect
 * to: with a code, or with an error once the redirect URI is trusted. Errors before that are
 * thrown and answered directly (§4.1.2.1), carrying the request's `state`.
 */
@Injectable()
export class AuthorizationService {
  constructor(
    private readonly clients: ClientRepository,
    private readonly codes: AuthorizationCodeRepository,
    private readonly scopes: ScopePolicy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async authorize(user: AuthenticatedUser, query: AuthorizeQueryDto): Promise<string> {
    let target: RedirectTarget;
    try {
      target = await this.redirectTarget(user, query);
    } catch (error) {
      // Not redirected (§4.1.2.1), so the body is the only place the client can find its
      // state again; Kustvakt echoes it there too.
      if (error instanceof OAuthError) error.withState(query.state);
      throw error;
    }
    const { client, redirectUri, ownPage } = target;

    try {
      return redirectWith(redirectUri, this.config.issuer, {
        code: await this.issueCode(user, client, redirectUri, query, ownPage),
        state: query.state,
      });
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return redirectWith(redirectUri, this.config.issuer, {
        error: error.code,
        error_description: error.description,
        state: query.state,
      });
    }
  }

  /**
   * The client and the redirect URI it may be answered at, or an error to be answered directly:
   * until the redirect URI is trusted, nothing may be redirected (RFC 6749 §4.1.2.1).
   */
  private async redirectTarget(
    user: AuthenticatedUser,
    query: AuthorizeQueryDto,
  ): Promise<RedirectTarget> {
    if (!query.client_id) throw OAuthError.invalidRequest('client_id is required.');
    const client = await this.clients.findById(query.client_id);
    if (!client) throw OAuthError.invalidClient('Unknown client.');
    const ownPage = superClientPage(user, client, query.redirect_uri);
    const redirectUri = ownPage?.redirectUri ?? trustedRedirectUri(client, query.redirect_uri);
    return { client, redirectUri, ownPage };
  }

  private async issueCode(
    user: AuthenticatedUser,
    client: Client,
    redirectUri: string,
    query: AuthorizeQueryDto,
    ownPage: SuperClientPage | null,
  ): Promise<string> {
    if (!query.response_type) throw OAuthError.invalidRequest('response_type is required.');
    if (query.response_type !== 'code') {
      throw new OAuthError(
        400,
        'unsupported_response_type',
        'Only response_type=code is supported.',
      );
    }
    const scopes = this.scopes.grantable(query.scope, client);
    // A code for the super client's own page goes to the super client, which redeems it
    // itself: PKCE is not required there. A challenge that is sent is always enforced.
    const challenge = pkceChallenge(
      client,
      query,
      !ownPage && pkceRequired(client, this.config.pkceRequired),
    );
    const code = generateSecret(SECRET_PREFIX.authorizationCode);
    const now = new Date();
    await this.codes.insert(
      Object.assign(new AuthorizationCode(), {
        digest: digestSecret(code),
        clientId: client.id,
        userId: user.userId,
        username: user.username,
        redirectUri,
        redirectUriSent: query.redirect_uri !== undefined,
        scope: formatScope(scopes),
        codeChallenge: challenge,
        familyId: generateId(),
        revealToClientId: ownPage?.superClientId ?? null,
        userAuthenticatedAt: user.authenticatedAt,
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.config.authorizationCodeTtl * 1000),
        redeemedAt: null,
      }),
    );
    return code;
  }
}

/** Where an authorization request may be answered by redirect. */
interface RedirectTarget {
  readonly client: Client;
  /** Canonical; the code is bound to it. */
  readonly redirectUri: string;
  readonly ownPage: SuperClientPage | null;
}

/**
 * The registered redirect URI in canonical form, matched exactly (RFC 9700 §2.1) in that form;
 * the code is bound to it and the Location starts with it. A client that registered none
 * cannot use this endpoint, since an unregistered URI would make an open redirector.
 */
function trustedRedirectUri(client: Client, requested: string | undefined): string {
  const registered = client.redirectUri === null ? null : canonicalRedirectUri(client.redirectUri);
  if (registered === null) {
    throw OAuthError.invalidRequest('The client has no registered redirect URI.');
  }
  if (requested !== undefined && !sameRedirectUri(requested, registered)) {
    throw OAuthError.invalidRequest('redirect_uri does not match the registered redirect URI.');
  }
  return registered;
}

/**
 * Whether PKCE_REQUIRED makes this client use PKCE (README: Choices where the spec is silent).
 * By default public clients must: their code is redeemed with the client id alone, so PKCE is
 * all that keeps an intercepted code useless (RFC 9700 §2.1.1).
 */
function pkceRequired(client: Client, setting: PkceRequired): boolean {
  switch (setting) {
    case 'all':
      return true;
    case 'public':
      return client.type === 'PUBLIC';
    case 'none':
      return false;
  }
}

/** PKCE (RFC 7636): S256 only (`plain` refused); a challenge that is sent is always enforced. */
function pkceChallenge(client: Client, query: AuthorizeQueryDto, required: boolean): string | null {
  if (query.code_challenge === undefined) {
    if (query.code_challenge_method !== undefined) {
      throw OAuthError.invalidRequest('code_challenge_method was sent without code_challenge.');
    }
    if (required) {
      throw OAuthError.invalidRequest(
        client.type === 'PUBLIC'
          ? 'Public clients must use PKCE (code_challenge with S256).'
          : 'This server requires PKCE from every client (code_challenge with S256).',
      );
    }
    return null;
  }
  if (query.code_challenge_method !== 'S256') {
    throw OAuthError.invalidRequest('code_challenge_method must be S256; plain is not supported.');
  }
  if (!isValidS256Challenge(query.code_challenge)) {
    throw OAuthError.invalidRequest('code_challenge must be 43 base64url characters.');
  }
  return query.code_challenge;
}

/**
 * The redirect URI with the response's parameters, and always `iss`: RFC 9207 §2 lets the
 * client tell which authorization server answered (mix-up attacks), success or error.
 */
function redirectWith(
  redirectUri: string,
  issuer: string,
  params: Record<string, string | undefined>,
): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries({ ...params, iss: issuer })) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url.toString();
}
