import assert from 'node:assert/strict';
import { KUSTVAKT, type KustvaktWorld, locationParams } from './kustvakt-fixture';

/**
 * The request helpers of Kustvakt's OAuth2TestBase that the client, deprecation and admin
 * tests use, over HTTP against tokenvakt. Kustvakt's test server accepts any password; here a
 * user's Basic credentials always carry the fixture's password.
 */

/** `OAuth2ClientJson`: the registration body, leaving out what the Java object leaves null. */
export interface OAuth2ClientJson {
  name?: string;
  type?: 'PUBLIC' | 'CONFIDENTIAL';
  description?: string;
  url?: string;
  redirect_uri?: string;
  refresh_token_expiry?: number;
}

export function createOAuth2ClientJson(
  name: string | null,
  type: 'PUBLIC' | 'CONFIDENTIAL' | null,
  description: string | null,
): OAuth2ClientJson {
  const json: OAuth2ClientJson = {};
  if (name !== null) json.name = name;
  if (type !== null) json.type = type;
  if (description !== null) json.description = description;
  return json;
}

/** Form fields without the empty ones: Kustvakt reads an empty field as an absent one. */
function form(fields: Record<string, string | null | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).filter((e): e is [string, string] => e[1] != null && e[1] !== ''),
  );
}

export function registerClient(w: KustvaktWorld, username: string, json: OAuth2ClientJson) {
  return w
    .userBasic(username)
    .then((auth) =>
      w.t
        .http()
        .post(w.api('oauth2/client/register'))
        .set('Authorization', auth)
        .set('X-Forwarded-For', KUSTVAKT.forwardedFor)
        .send(json),
    );
}

export function registerConfidentialClient(w: KustvaktWorld, username: string) {
  return registerClient(w, username, {
    name: 'OAuth2ClientTest',
    type: 'CONFIDENTIAL',
    url: KUSTVAKT.clientURL,
    redirect_uri: KUSTVAKT.clientRedirectUri,
    description: 'This is a confidential test client.',
  });
}

/** `requestAuthorizationCode(responseType, clientId, redirectUri, scope, state, authHeader)`. */
export function requestAuthorization(
  w: KustvaktWorld,
  params: { clientId: string; redirectUri?: string; scope?: string; state?: string },
  authHeader: string,
) {
  return w.t
    .http()
    .get(w.api('oauth2/authorize'))
    .set('Authorization', authHeader)
    .query(
      form({
        response_type: 'code',
        client_id: params.clientId,
        redirect_uri: params.redirectUri,
        scope: params.scope ?? 'search match_info',
        state: params.state,
      }),
    );
}

/**
 * The code of a successful authorization. Kustvakt redirects with 307, tokenvakt with 302
 * (RFC 6749 §4.1.2 leaves the redirect status open); the code is what the tests need.
 */
export async function requestAuthorizationCode(
  w: KustvaktWorld,
  clientId: string,
  authHeader: string,
  redirectUri = '',
  scope?: string,
): Promise<string> {
  const res = await requestAuthorization(w, { clientId, redirectUri, scope }, authHeader);
  assert.ok([302, 307].includes(res.status), `${res.status} ${res.text}`);
  const location: string | undefined = res.headers.location;
  const code = locationParams(location).get('code');
  assert.ok(code, location);
  return code;
}

export function requestTokenWithAuthorizationCodeAndForm(
  w: KustvaktWorld,
  clientId: string,
  clientSecret: string | null,
  code: string,
  redirectUri?: string,
) {
  return w.t
    .http()
    .post(w.api('oauth2/token'))
    .type('form')
    .send(
      form({
        grant_type: 'authorization_code',
        client_id: clientId,
        client_secret: clientSecret,
        code,
        redirect_uri: redirectUri,
      }),
    );
}

export function requestTokenWithPassword(
  w: KustvaktWorld,
  clientId: string,
  clientSecret: string,
  username: string,
) {
  return w.userBasic(username).then(() =>
    w.t
      .http()
      .post(w.api('oauth2/token'))
      .set('X-Forwarded-For', KUSTVAKT.forwardedFor)
      .type('form')
      .send(
        form({
          grant_type: 'password',
          client_id: clientId,
          client_secret: clientSecret,
          username,
          password: KUSTVAKT.password,
        }),
      ),
  );
}

export async function retrieveClientInfo(
  w: KustvaktWorld,
  clientId: string,
  username: string,
): Promise<Record<string, unknown>> {
  const res = await w.t
    .http()
    .post(w.api(`oauth2/client/${clientId}`))
    .set('Authorization', await w.userBasic(username))
    .type('form')
    .send(w.superClientForm());
  assert.equal(res.status, 200, res.text);
  return res.body as Record<string, unknown>;
}

export async function deregister(w: KustvaktWorld, username: string, clientId: string) {
  return w.t
    .http()
    .delete(w.api(`oauth2/client/deregister/${clientId}`))
    .set('Authorization', await w.userBasic(username));
}

export async function deregisterClient(w: KustvaktWorld, username: string, clientId: string) {
  const res = await deregister(w, username, clientId);
  assert.equal(res.status, 200, res.text);
}

/** POST <version>/oauth2/client/list as the super client; `fields` as sent (null: left out). */
export async function postClientList(
  w: KustvaktWorld,
  authHeader: string,
  fields: Record<string, string>,
  version: string = KUSTVAKT.API_VERSION,
) {
  return w.t
    .http()
    .post(w.api('oauth2/client/list', version))
    .set('Authorization', authHeader)
    .type('form')
    .send({ ...w.superClientForm(), ...fields });
}

/** `listUserClients(username, filterBy)`: a `filterBy` of null is left out, "" is sent empty. */
export async function listUserClients(
  w: KustvaktWorld,
  username: string,
  filterBy: string | null,
): Promise<Array<Record<string, unknown>>> {
  const res = await postClientList(
    w,
    await w.userBasic(username),
    filterBy === null ? {} : { filter_by: filterBy },
  );
  assert.equal(res.status, 200, res.text);
  return res.body as Array<Record<string, unknown>>;
}

/** POST <version>/oauth2/revoke/super/all as the super client. */
export function revokeAllViaSuperClient(w: KustvaktWorld, clientId: string, authHeader: string) {
  return w.t
    .http()
    .post(w.api('oauth2/revoke/super/all'))
    .set('Authorization', authHeader)
    .type('form')
    .send({ ...w.superClientForm(), client_id: clientId });
}

/**
 * `testRequestTokenWithRevokedRefreshToken`. Kustvakt's test sends client_secret twice, which
 * tokenvakt refuses (a repeated field, RFC 6749 §3.1): it is sent once. Kustvakt's words are
 * "Refresh token has been revoked"; the token endpoint's own words are matched loosely.
 */
export async function assertRevokedRefreshTokenRefused(
  w: KustvaktWorld,
  clientId: string,
  clientSecret: string | null,
  refreshToken: string,
): Promise<void> {
  const res = await w.t
    .http()
    .post(w.api('oauth2/token'))
    .set('X-Forwarded-For', KUSTVAKT.forwardedFor)
    .type('form')
    .send(
      form({
        grant_type: 'refresh_token',
        client_id: clientId,
        client_secret: clientSecret,
        refresh_token: refreshToken,
      }),
    );
  assert.equal((res.body as { error?: string }).error, 'invalid_grant');
  assert.match(
    (res.body as { error_description?: string }).error_description ?? '',
    /refresh token has been revoked/i,
  );
}
