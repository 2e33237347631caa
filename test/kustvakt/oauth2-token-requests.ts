import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import { digestSecret } from '../../src/auth/secrets';
import { Token } from '../../src/tokens/token.entity';
import { insertClientRow, pkcePair } from '../support/factories';
import { basicAuth, bearer } from '../support/test-app';
import { KUSTVAKT, locationParams, type KustvaktWorld } from './kustvakt-fixture';

/**
 * The request helpers of Kustvakt's OAuth2TestBase that OAuth2AccessTokenTest and
 * OAuth2ControllerTest use, on a KustvaktWorld, under Kustvakt's paths (`/api/v1.1/...`).
 * Where a Java helper asserts something tokenvakt answers differently on purpose, the helper
 * here asserts tokenvakt's answer and says so:
 * - the authorization redirect is `302 Found` (Kustvakt: `307`); RFC 6749 §4.1.2 leaves the
 *   status open, and every redirect of tokenvakt's is 302;
 * - revocation answers an empty `200` (Kustvakt: the body `SUCCESS`), as RFC 7009 §2.2 has it;
 * - "search with the token" (Kustvakt's /search, not served here) becomes what a search
 *   backend in front of tokenvakt does: introspect it as a resource server;
 * - "search with a revoked token" becomes a call with it under `/api/v1.1/`, where a dead
 *   bearer token gets Kustvakt's own `errors` array (README: Running KorAP's Kalamar).
 */
export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

export interface ListEntry {
  token: string;
  token_type: string;
  client_id: string;
  client_name: string | null;
  client_description: string | null;
  client_url: string | null;
  scope: string[];
  created_date: string;
  expires_in: number;
  user_authentication_time: string;
  token_revealed: boolean;
}

/** A search backend: a confidential client that may introspect (secret "secret"). */
export const RESOURCE_SERVER_ID = 'kustvakt-search-backend';

export async function addResourceServer(w: KustvaktWorld): Promise<void> {
  await insertClientRow(w.t, {
    id: RESOURCE_SERVER_ID,
    name: 'search backend',
    type: 'CONFIDENTIAL',
    secretDigest: digestSecret(KUSTVAKT.clientSecret),
    mayIntrospect: true,
  });
}

/** Form fields; undefined leaves a field out, '' sends it empty (as Jersey's Form does). */
export type FormFields = Record<string, string | undefined>;

function form(fields: FormFields): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** Any form POST under Kustvakt's path, with Kustvakt's test X-Forwarded-For. */
export function postForm(
  w: KustvaktWorld,
  path: string,
  fields: FormFields,
  authorization?: string,
): Promise<Response> {
  const req = w.t.http().post(w.api(path)).set('X-Forwarded-For', KUSTVAKT.forwardedFor);
  if (authorization !== undefined) req.set('Authorization', authorization);
  return req.type('form').send(form(fields));
}

/** OAuth2TestBase.requestAuthorizationCode: empty arguments are left out of the query. */
export function requestAuthorizationCode(
  w: KustvaktWorld,
  responseType: string,
  clientId: string,
  redirectUri: string,
  scope: string,
  state: string,
  authHeader: string,
  pkce?: { challenge: string },
): Promise<Response> {
  const query = form({
    response_type: responseType || undefined,
    client_id: clientId || undefined,
    redirect_uri: redirectUri || undefined,
    scope: scope || undefined,
    state: state || undefined,
    code_challenge: pkce?.challenge,
    code_challenge_method: pkce && 'S256',
  });
  return w.t.http().get(w.api('oauth2/authorize')).set('Authorization', authHeader).query(query);
}

/** OAuth2TestBase.parseAuthorizationCode (a 302 here, Kustvakt's 307). */
export function parseAuthorizationCode(res: Response): string {
  assert.equal(res.status, 302, res.text);
  const code = locationParams(res.headers.location).get('code');
  assert.ok(code, `no code in ${String(res.headers.location)}`);
  return code;
}

/** OAuth2TestBase.requestAuthorizationCode(clientId, [redirectUri,] authHeader). */
export async function requestCode(
  w: KustvaktWorld,
  clientId: string,
  authHeader: string,
  options: { redirectUri?: string; pkce?: { challenge: string } } = {},
): Promise<string> {
  const scope = options.redirectUri === undefined ? 'search match_info' : 'search';
  return parseAuthorizationCode(
    await requestAuthorizationCode(
      w,
      'code',
      clientId,
      options.redirectUri ?? '',
      scope,
      '',
      authHeader,
      options.pkce,
    ),
  );
}

/** A code for a public client, with the PKCE that tokenvakt requires of it by default. */
export async function requestPublicCode(
  w: KustvaktWorld,
  clientId: string,
  authHeader: string,
): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  return { code: await requestCode(w, clientId, authHeader, { pkce: { challenge } }), verifier };
}

/** OAuth2TestBase.requestToken. */
export function requestToken(w: KustvaktWorld, fields: FormFields): Promise<Response> {
  return postForm(w, 'oauth2/token', fields);
}

/** OAuth2TestBase.requestTokenWithAuthorizationCodeAndForm: client_secret is always sent. */
export function requestTokenWithAuthorizationCodeAndForm(
  w: KustvaktWorld,
  clientId: string,
  clientSecret: string,
  code: string,
  redirectUri?: string,
  extra: FormFields = {},
): Promise<Response> {
  return postForm(w, 'oauth2/token', {
    grant_type: 'authorization_code',
    client_id: clientId,
    client_secret: clientSecret,
    code,
    redirect_uri: redirectUri,
    ...extra,
  });
}

/** OAuth2TestBase.requestTokenWithAuthorizationCodeAndHeader: client_id in the form too. */
export async function requestTokenWithAuthorizationCodeAndHeader(
  w: KustvaktWorld,
  clientId: string,
  code: string,
  authHeader: string,
): Promise<TokenBody> {
  const res = await postForm(
    w,
    'oauth2/token',
    { grant_type: 'authorization_code', client_id: clientId, code },
    authHeader,
  );
  assert.equal(res.status, 200, res.text);
  return res.body as TokenBody;
}

/** OAuth2TestBase.requestTokenWithPassword: an empty or null client_secret is left out. */
export function requestTokenWithPassword(
  w: KustvaktWorld,
  clientId: string | null,
  clientSecret: string | null,
  username: string,
  password: string,
): Promise<Response> {
  return requestToken(w, {
    grant_type: 'password',
    // Jersey's Form sends a null value as an empty one.
    client_id: clientId ?? '',
    client_secret: clientSecret || undefined,
    username,
    password,
  });
}

/** OAuth2TestBase.requestTokenWithDoryPassword. */
export function requestTokenWithDoryPassword(
  w: KustvaktWorld,
  clientId: string | null,
  clientSecret: string | null,
): Promise<Response> {
  return requestTokenWithPassword(w, clientId, clientSecret, 'dory', KUSTVAKT.password);
}

/** OAuth2TestBase.requestTokenWithRefreshToken. */
export async function requestTokenWithRefreshToken(
  w: KustvaktWorld,
  clientId: string,
  clientSecret: string,
  refreshToken: string,
): Promise<TokenBody> {
  const res = await requestToken(w, {
    grant_type: 'refresh_token',
    client_id: clientId,
    client_secret: clientSecret,
    refresh_token: refreshToken,
  });
  assert.equal(res.status, 200, res.text);
  return res.body as TokenBody;
}

/** OAuth2TestBase.revokeToken: 200 with an empty body (Kustvakt: "SUCCESS"). */
export async function revokeToken(
  w: KustvaktWorld,
  token: string,
  clientId: string,
  clientSecret: string | null,
  tokenType: string,
): Promise<void> {
  const res = await postForm(w, 'oauth2/revoke', {
    token_type: tokenType,
    token,
    client_id: clientId,
    client_secret: clientSecret ?? undefined,
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, '');
}

/** OAuth2TestBase.revokeTokenViaSuperClient: 200 with an empty body (Kustvakt: "SUCCESS"). */
export async function revokeTokenViaSuperClient(
  w: KustvaktWorld,
  token: string,
  userAuthHeader: string,
): Promise<void> {
  const res = await postForm(
    w,
    'oauth2/revoke/super',
    { token, ...w.superClientForm() },
    userAuthHeader,
  );
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, '');
}

/** OAuth2ControllerTest.requestTokenList. */
export async function requestTokenList(
  w: KustvaktWorld,
  userAuthHeader: string,
  tokenType: string,
  clientId?: string,
): Promise<ListEntry[]> {
  const res = await postForm(
    w,
    'oauth2/token/list',
    { ...w.superClientForm(), token_type: tokenType, client_id: clientId || undefined },
    userAuthHeader,
  );
  assert.equal(res.status, 200, res.text);
  return res.body as ListEntry[];
}

/** RFC 7662 introspection by the search backend (addResourceServer). */
export async function introspect(
  w: KustvaktWorld,
  token: string,
): Promise<Record<string, unknown>> {
  const res = await postForm(
    w,
    'oauth2/introspect',
    { token },
    basicAuth(RESOURCE_SERVER_ID, KUSTVAKT.clientSecret),
  );
  assert.equal(res.status, 200, res.text);
  return res.body as Record<string, unknown>;
}

/** OAuth2TestBase.testSearchWithOAuth2Token: the search backend finds the token active. */
export async function testSearchWithOAuth2Token(w: KustvaktWorld, token: string): Promise<void> {
  const body = await introspect(w, token);
  assert.equal(body.active, true, JSON.stringify(body));
}

/**
 * OAuth2TestBase.testSearchWithRevokedAccessToken: 401 with Kustvakt's INVALID_ACCESS_TOKEN in
 * `errors` under `/api/v1.1/`, and the search backend finds the token inactive.
 */
export async function testSearchWithRevokedAccessToken(
  w: KustvaktWorld,
  token: string,
): Promise<void> {
  const res = await postForm(
    w,
    'oauth2/token/list',
    { ...w.superClientForm(), token_type: 'access_token' },
    bearer(token),
  );
  assert.equal(res.status, 401, res.text);
  const body = res.body as { errors?: Array<[number, string]> };
  assert.equal(body.errors?.[0]?.[0], 2011); // StatusCodes.INVALID_ACCESS_TOKEN
  assert.equal(body.errors?.[0]?.[1], 'Access token is invalid');
  assert.deepEqual(await introspect(w, token), { active: false });
}

/** The stored row of a raw token, for what Kustvakt's tests read through their DAOs. */
export function tokenRow(w: KustvaktWorld, raw: string): Promise<Token> {
  return w.t.dataSource.getRepository(Token).findOneByOrFail({ digest: digestSecret(raw) });
}

/**
 * OAuth2ControllerTest.testRefreshTokenExpiry: a refresh token expires REFRESH_TOKEN_TTL
 * (365 days, Kustvakt's oauth2.refresh.token.long.expiry) after it was created.
 */
export async function testRefreshTokenExpiry(
  w: KustvaktWorld,
  refreshToken: string,
): Promise<void> {
  const row = await tokenRow(w, refreshToken);
  assert.equal(row.type, 'refresh_token');
  assert.equal(
    row.expiresAt.getTime() - row.createdAt.getTime(),
    w.t.config.refreshTokenTtl * 1000,
  );
  assert.equal(w.t.config.refreshTokenTtl, 365 * 86_400);
}

/** The `error` and `error_description` of an error answer, with its status. */
export function expectError(
  res: Response,
  status: number,
  error: string,
): { error: string; error_description: string } {
  assert.equal(res.status, status, `expected ${status} ${error}, got ${res.status} ${res.text}`);
  const body = res.body as { error: string; error_description: string };
  assert.equal(body.error, error, res.text);
  assert.equal(typeof body.error_description, 'string');
  if (status === 401) assert.ok(res.headers['www-authenticate'], 'a 401 carries a challenge');
  return body;
}
