import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import {
  KUSTVAKT,
  locationParams,
  startKustvaktWorld,
  type KustvaktWorld,
} from './kustvakt-fixture';
import {
  addResourceServer,
  expectError,
  introspect,
  parseAuthorizationCode,
  postForm,
  requestAuthorizationCode,
  requestCode,
  requestPublicCode,
  requestToken,
  requestTokenList,
  requestTokenWithAuthorizationCodeAndForm,
  requestTokenWithDoryPassword,
  requestTokenWithPassword,
  revokeToken,
  revokeTokenViaSuperClient,
  testRefreshTokenExpiry,
  tokenRow,
  type FormFields,
  type TokenBody,
} from './oauth2-token-requests';

const {
  confidentialClientId,
  confidentialClientId2,
  publicClientId,
  superClientId,
  clientSecret,
  clientRedirectUri,
  state,
} = KUSTVAKT;
const ACCESS_TOKEN_TYPE = 'access_token';
const REFRESH_TOKEN_TYPE = 'refresh_token';
const HANDLE = /^[A-Za-z0-9_-]{16,32}$/;

/**
 * Kustvakt's OAuth2ControllerTest (src/test/java/de/ids_mannheim/korap/web/controller/oauth2/),
 * one `it` per @Test, with its private helpers inlined where they are used. Kustvakt's test
 * server accepts any password; here every user's password is "password". Error descriptions
 * are tokenvakt's own words: what they must say is matched, not their spelling.
 */
describe('OAuth2ControllerTest (Kustvakt)', () => {
  let w: KustvaktWorld;
  let userAuthHeader: string;

  before(async () => {
    w = await startKustvaktWorld();
    await addResourceServer(w);
    userAuthHeader = await w.userBasic('dory');
  });
  after(() => w.close());

  /** A refresh request with the client's credentials in the form, and extra fields. */
  const refreshRequest = (
    clientId: string,
    secret: string | undefined,
    refreshToken: string,
    extra: FormFields = {},
  ): Promise<Response> =>
    requestToken(w, {
      grant_type: 'refresh_token',
      client_id: clientId,
      client_secret: secret,
      refresh_token: refreshToken,
      ...extra,
    });

  /**
   * testRequestTokenWithRevokedRefreshToken (OAuth2TestBase). Kustvakt's helper adds
   * client_secret twice; tokenvakt refuses a repeated parameter (RFC 6749 §3.1: "MUST NOT be
   * included more than once") with 400 invalid_request. The refresh token itself is checked
   * with client_secret once: `revoked` is then what tokenvakt answers.
   */
  async function testRequestTokenWithRevokedRefreshToken(
    clientId: string,
    secret: string,
    refreshToken: string,
  ): Promise<Response> {
    const twice = await w.t
      .http()
      .post(w.api('oauth2/token'))
      .set('X-Forwarded-For', KUSTVAKT.forwardedFor)
      .type('form')
      .send(
        `grant_type=refresh_token&client_id=${clientId}&client_secret=${secret}` +
          `&refresh_token=${refreshToken}&client_secret=${secret}`,
      );
    expectError(twice, 400, 'invalid_request');
    return refreshRequest(clientId, secret, refreshToken);
  }

  const expectRevokedRefreshToken = (res: Response) => {
    const node = expectError(res, 400, 'invalid_grant');
    assert.match(node.error_description, /refresh token has been revoked/i);
  };

  it('testRequestTokenAuthorizationPublic — differs: PKCE for public clients; a public client that sends a secret fails client authentication', async () => {
    // Kustvakt's test sends client_secret=secret for the public client, which has none.
    const first = await requestPublicCode(w, publicClientId, userAuthHeader);
    const withSecret = await requestTokenWithAuthorizationCodeAndForm(
      w,
      publicClientId,
      clientSecret,
      first.code,
      undefined,
      { code_verifier: first.verifier },
    );
    expectError(withSecret, 401, 'invalid_client');

    const { code, verifier } = await requestPublicCode(w, publicClientId, userAuthHeader);
    const res = await requestTokenWithAuthorizationCodeAndForm(
      w,
      publicClientId,
      '',
      code,
      undefined,
      { code_verifier: verifier },
    );
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    assert.equal(node.token_type, 'Bearer');
    assert.equal(node.expires_in, 31536000);
    await revokeToken(w, node.access_token, publicClientId, null, ACCESS_TOKEN_TYPE);
    assert.equal(node.refresh_token, undefined);
  });

  it('testRequestTokenAuthorizationConfidential — differs: a replayed code revokes its grant; refresh reuse grace; a repeated client_secret is refused', async () => {
    const response = await requestAuthorizationCode(
      w,
      'code',
      confidentialClientId,
      '',
      'search',
      state,
      userAuthHeader,
    );
    const params = locationParams(response.headers.location);
    assert.equal(params.get('state'), state);
    const code = params.get('code') ?? '';

    const res = await requestTokenWithAuthorizationCodeAndForm(
      w,
      confidentialClientId,
      clientSecret,
      code,
    );
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    assert.ok(node.access_token);
    assert.ok(node.refresh_token);
    assert.equal(node.token_type, 'Bearer');
    assert.equal(typeof node.expires_in, 'number');

    // testRequestTokenWithUsedAuthorization
    const used = expectError(
      await requestTokenWithAuthorizationCodeAndForm(w, confidentialClientId, clientSecret, code),
      400,
      'invalid_grant',
    );
    assert.match(used.error_description, /already been used/);
    // Kustvakt keeps what the first redemption issued; tokenvakt revokes it (RFC 6749 §4.1.2:
    // the code may be in an attacker's hands), so the refresh tests use a fresh grant.
    expectRevokedRefreshToken(
      await refreshRequest(confidentialClientId, clientSecret, node.refresh_token ?? ''),
    );
    const fresh = await requestTokenWithAuthorizationCodeAndForm(
      w,
      confidentialClientId,
      clientSecret,
      await requestCode(w, confidentialClientId, userAuthHeader),
    );
    assert.equal(fresh.status, 200, fresh.text);
    const refreshToken = (fresh.body as TokenBody).refresh_token ?? '';

    await testRefreshTokenExpiry(w, refreshToken);

    // testRequestRefreshTokenInvalidScope
    expectError(
      await refreshRequest(confidentialClientId, clientSecret, refreshToken, {
        scope: 'search serialize_query',
      }),
      400,
      'invalid_scope',
    );

    // testRequestRefreshTokenInvalidClient: an unknown client_id without a secret.
    expectError(
      await refreshRequest('iBr3LsTCxOj7D2o0A5m', undefined, refreshToken),
      401,
      'invalid_client',
    );

    // testRequestRefreshTokenInvalidRefreshToken
    expectError(
      await refreshRequest(confidentialClientId, clientSecret, 'Lia8s8w8tJeZSBlaQDrYV8ion3l'),
      400,
      'invalid_grant',
    );

    // testRequestRefreshToken
    const refreshed = await refreshRequest(confidentialClientId, clientSecret, refreshToken);
    assert.equal(refreshed.status, 200, refreshed.text);
    const next = refreshed.body as TokenBody;
    assert.ok(next.access_token);
    assert.ok(next.refresh_token);
    assert.equal(next.token_type, 'Bearer');
    assert.notEqual(next.refresh_token, refreshToken);
    // Kustvakt: the exchanged refresh token is revoked at once. tokenvakt gives its own client
    // another pair of the same grant within REFRESH_TOKEN_REUSE_GRACE (10 s), for clients that
    // refresh concurrently, as Kalamar does (README: Security model).
    const withinGrace = await testRequestTokenWithRevokedRefreshToken(
      confidentialClientId,
      clientSecret,
      refreshToken,
    );
    assert.equal(withinGrace.status, 200, withinGrace.text);
    // Revoking a refresh token by value ends its whole grant (RFC 7009 §2.1).
    await revokeToken(
      w,
      next.refresh_token ?? '',
      confidentialClientId,
      clientSecret,
      REFRESH_TOKEN_TYPE,
    );
    expectRevokedRefreshToken(
      await testRequestTokenWithRevokedRefreshToken(
        confidentialClientId,
        clientSecret,
        next.refresh_token ?? '',
      ),
    );
    expectRevokedRefreshToken(
      await refreshRequest(
        confidentialClientId,
        clientSecret,
        (withinGrace.body as TokenBody).refresh_token ?? '',
      ),
    );
  });

  it('testRequestTokenInvalidAuthorizationCode — differs: invalid_grant for an unknown code (RFC 6749 §5.2)', async () => {
    const res = await requestTokenWithAuthorizationCodeAndForm(
      w,
      confidentialClientId,
      clientSecret,
      'blahblah',
    );
    expectError(res, 400, 'invalid_grant');
  });

  it('testRequestTokenAuthorizationReplyAttack', async () => {
    const redirectUri = 'https://third.party.com/confidential/redirect';
    const response = await requestAuthorizationCode(
      w,
      'code',
      confidentialClientId,
      redirectUri,
      'search',
      state,
      userAuthHeader,
    );
    const code = parseAuthorizationCode(response);

    // testRequestTokenAuthorizationInvalidClient
    expectError(
      await requestTokenWithAuthorizationCodeAndForm(w, confidentialClientId, 'wrong_secret', code),
      401,
      'invalid_client',
    );

    // testRequestTokenAuthorizationMissingRedirectUri
    const missing = expectError(
      await requestTokenWithAuthorizationCodeAndForm(w, confidentialClientId, 'secret', code),
      400,
      'invalid_grant',
    );
    assert.match(missing.error_description, /redirect_uri is required/);

    // testRequestTokenAuthorizationInvalidRedirectUri
    expectError(
      await requestToken(w, {
        grant_type: 'authorization_code',
        client_id: confidentialClientId,
        client_secret: 'secret',
        code,
        redirect_uri: 'https://blahblah.com',
      }),
      400,
      'invalid_grant',
    );

    // testRequestTokenAuthorizationRevoked: the right request, after the wrong ones.
    const revoked = expectError(
      await requestToken(w, {
        grant_type: 'authorization_code',
        client_id: confidentialClientId,
        client_secret: 'secret',
        code,
        redirect_uri: redirectUri,
      }),
      400,
      'invalid_grant',
    );
    assert.match(revoked.error_description, /already been used/);
  });

  it('testRequestTokenPasswordGrantConfidentialSuper', async () => {
    const res = await requestTokenWithDoryPassword(w, superClientId, clientSecret);
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    assert.ok(node.access_token);
    assert.equal(node.token_type, 'Bearer');
    assert.equal(typeof node.expires_in, 'number');
    assert.equal(node.scope, 'all');
    const refresh = node.refresh_token ?? '';
    assert.equal((await tokenRow(w, refresh)).scope, 'all');
    await testRefreshTokenExpiry(w, refresh);
  });

  it('testRequestTokenPasswordGrantWithScope', async () => {
    const scope = 'match_info search';
    const res = await requestToken(w, {
      grant_type: 'password',
      client_id: superClientId,
      client_secret: clientSecret,
      username: 'dory',
      password: KUSTVAKT.password,
      scope,
    });
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    assert.ok(node.access_token);
    assert.equal(node.token_type, 'Bearer');
    assert.equal(node.scope, scope);
    const refreshToken = node.refresh_token ?? '';

    // testRequestRefreshTokenWithUnauthorizedScope
    expectError(
      await refreshRequest(superClientId, clientSecret, refreshToken, { scope: 'all' }),
      400,
      'invalid_scope',
    );
    // testRequestRefreshTokenWithScope
    const narrowed = await refreshRequest(superClientId, clientSecret, refreshToken, {
      scope: 'search',
    });
    assert.equal(narrowed.status, 200, narrowed.text);
    const next = narrowed.body as TokenBody;
    assert.ok(next.access_token);
    assert.ok(next.refresh_token);
    assert.notEqual(next.refresh_token, refreshToken);
    assert.equal(next.token_type, 'Bearer');
    assert.equal(next.scope, 'search');
  });

  it('testRequestTokenPasswordGrantConfidentialNonSuper — differs: 400, not 401 (RFC 6749 §5.2)', async () => {
    const res = await requestTokenWithDoryPassword(w, confidentialClientId, clientSecret);
    const node = expectError(res, 400, 'unauthorized_client');
    assert.match(node.error_description, /super clients only/);
  });

  it('testRequestTokenPasswordGrantPublic — differs: 400, not 401 (RFC 6749 §5.2)', async () => {
    const res = await requestTokenWithDoryPassword(w, publicClientId, '');
    const node = expectError(res, 400, 'unauthorized_client');
    assert.match(node.error_description, /super clients only/);
  });

  it('testRequestTokenPasswordGrantAuthorizationHeader', async () => {
    const res = await postForm(
      w,
      'oauth2/token',
      {
        grant_type: 'password',
        client_id: superClientId,
        username: 'dory',
        password: KUSTVAKT.password,
      },
      'Basic ZkNCYlFrQXlZekk0TnpVeE1nOnNlY3JldA==',
    );
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    assert.ok(node.access_token);
    assert.ok(node.refresh_token);
    assert.equal(node.token_type, 'Bearer');
    assert.equal(typeof node.expires_in, 'number');
  });

  it('testRequestTokenPasswordGrantDifferentClientIds — differs: a form client_id that is not the Basic one fails client authentication', async () => {
    // Kustvakt ignores the form's client_id; tokenvakt does not guess which client is meant.
    const res = await postForm(
      w,
      'oauth2/token',
      {
        grant_type: 'password',
        client_id: '9aHsGW6QflV13ixNpez',
        username: 'dory',
        password: KUSTVAKT.password,
      },
      'Basic ZkNCYlFrQXlZekk0TnpVeE1nOnNlY3JldA==',
    );
    expectError(res, 401, 'invalid_client');
  });

  it('testRequestTokenPasswordGrantMissingClientSecret — differs: 401 invalid_client, no client authentication (RFC 6749 §5.2)', async () => {
    const res = await requestTokenWithDoryPassword(w, confidentialClientId, '');
    expectError(res, 401, 'invalid_client');
    assert.equal(res.headers['www-authenticate'], 'Basic realm="tokenvakt"');
  });

  it('testRequestTokenPasswordGrantEmptyClientSecret — differs: 401 invalid_client, no client authentication (RFC 6749 §5.2)', async () => {
    const res = await requestTokenWithDoryPassword(w, confidentialClientId, '');
    expectError(res, 401, 'invalid_client');
    // client_secret= sent empty is the same as leaving it out (RFC 6749 §3.1).
    const empty = await requestToken(w, {
      grant_type: 'password',
      client_id: confidentialClientId,
      client_secret: '',
      username: 'dory',
      password: KUSTVAKT.password,
    });
    expectError(empty, 401, 'invalid_client');
    assert.deepEqual(empty.body, res.body);
  });

  it('testRequestTokenPasswordGrantMissingClientId', async () => {
    const res = await requestTokenWithDoryPassword(w, null, clientSecret);
    const node = expectError(res, 400, 'invalid_request');
    assert.ok(node.error_description);
  });

  it('testRequestTokenPasswordGrantEmptyClientId', async () => {
    const res = await requestTokenWithDoryPassword(w, '', clientSecret);
    const node = expectError(res, 400, 'invalid_request');
    assert.ok(node.error_description);
  });

  it('testRequestTokenClientCredentialsGrant — differs: client_credentials needs an explicit scope', async () => {
    const form = {
      grant_type: 'client_credentials',
      client_id: confidentialClientId,
      client_secret: 'secret',
    };
    // Kustvakt issues a token with no scope at all; tokenvakt has no default without a user.
    expectError(await requestToken(w, form), 400, 'invalid_scope');
    const res = await requestToken(w, { ...form, scope: 'client_info' });
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    assert.ok(node.access_token);
    // No refresh token for client_credentials (RFC 6749 §4.4.3; Kustvakt's check is vacuous).
    assert.equal(node.refresh_token, undefined);
    assert.equal(node.token_type, 'Bearer');
    assert.equal(typeof node.expires_in, 'number');
  });

  it('testRequestTokenClientCredentialsGrantPublic — differs: unauthorized_client (RFC 6749 §5.2), not invalid_request', async () => {
    // client_secret= sent empty: the public client with its client_id alone (RFC 6749 §3.1).
    const res = await requestToken(w, {
      grant_type: 'client_credentials',
      client_id: publicClientId,
      client_secret: '',
    });
    const node = expectError(res, 400, 'unauthorized_client');
    assert.ok(node.error_description);
  });

  it('testRequestTokenClientCredentialsGrantReducedScope', async () => {
    const res = await requestToken(w, {
      grant_type: 'client_credentials',
      client_id: confidentialClientId,
      client_secret: 'secret',
      scope: 'preferred_username client_info',
    });
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    assert.ok(node.access_token);
    assert.equal(node.refresh_token, undefined);
    assert.equal(node.token_type, 'Bearer');
    assert.equal(typeof node.expires_in, 'number');
    assert.equal(node.scope, 'client_info');
    const info = await introspect(w, node.access_token);
    assert.equal(info.scope, 'client_info');
  });

  it('testRequestTokenMissingGrantType', async () => {
    expectError(await requestToken(w, {}), 400, 'invalid_request');
  });

  it('testRequestTokenUnsupportedGrant — differs: unsupported_grant_type (RFC 6749 §5.2), not invalid_request', async () => {
    const res = await requestToken(w, { grant_type: 'blahblah' });
    const node = expectError(res, 400, 'unsupported_grant_type');
    assert.ok(node.error_description);
  });

  it('testListRefreshTokenConfidentialClient — differs: registered redirect URIs required; the list shows handles', async () => {
    const gurgle = await w.userBasic('gurgle');
    // super client
    const login = await requestTokenWithPassword(
      w,
      superClientId,
      clientSecret,
      'gurgle',
      KUSTVAKT.password,
    );
    assert.equal(login.status, 200, login.text);
    const refreshToken1 = (login.body as TokenBody).refresh_token ?? '';
    // client 1
    let code = await requestCode(w, confidentialClientId, gurgle);
    let res = await requestTokenWithAuthorizationCodeAndForm(
      w,
      confidentialClientId,
      clientSecret,
      code,
    );
    assert.equal(res.status, 200, res.text);
    // client 2 registered no redirect URI: Kustvakt takes the one the request names, tokenvakt
    // refuses it (an unregistered URI would make an open redirector, RFC 9700 §4.1.1).
    const client2 = await requestAuthorizationCode(
      w,
      'code',
      confidentialClientId2,
      clientRedirectUri,
      'search',
      '',
      gurgle,
    );
    expectError(client2, 400, 'invalid_request');
    // list: client 1 only (Kustvakt: clients 1 and 2)
    let node = await requestTokenList(w, gurgle, REFRESH_TOKEN_TYPE);
    assert.equal(node.length, 1);
    assert.equal(node[0]?.client_id, confidentialClientId);
    // client 1
    code = await requestCode(w, confidentialClientId, gurgle);
    res = await requestTokenWithAuthorizationCodeAndForm(
      w,
      confidentialClientId,
      clientSecret,
      code,
    );
    assert.equal(res.status, 200, res.text);
    // another user
    const darla = await w.userBasic('darla');
    node = await requestTokenList(w, darla, REFRESH_TOKEN_TYPE);
    assert.equal(node.length, 0);
    code = await requestCode(w, confidentialClientId, darla);
    res = await requestTokenWithAuthorizationCodeAndForm(
      w,
      confidentialClientId,
      clientSecret,
      code,
    );
    assert.equal(res.status, 200, res.text);
    const refreshToken5 = (res.body as TokenBody).refresh_token ?? '';
    // list all refresh tokens (Kustvakt: 3)
    node = await requestTokenList(w, gurgle, REFRESH_TOKEN_TYPE);
    assert.equal(node.length, 2);
    // list refresh tokens from client 1
    node = await requestTokenList(w, gurgle, REFRESH_TOKEN_TYPE, confidentialClientId);
    assert.equal(node.length, 2);
    await revokeToken(w, refreshToken1, superClientId, clientSecret, REFRESH_TOKEN_TYPE);
    // Kustvakt's list shows the tokens, which the client then revokes at /oauth2/revoke.
    // tokenvakt's shows handles, which are never credentials: /oauth2/revoke answers 200 and
    // revokes nothing; the super client revokes by handle.
    const [first, second] = node.map((entry) => entry.token);
    assert.match(first ?? '', HANDLE);
    await revokeToken(w, first ?? '', confidentialClientId, clientSecret, REFRESH_TOKEN_TYPE);
    assert.equal((await requestTokenList(w, gurgle, REFRESH_TOKEN_TYPE)).length, 2);
    await revokeTokenViaSuperClient(w, first ?? '', gurgle);
    node = await requestTokenList(w, gurgle, REFRESH_TOKEN_TYPE);
    assert.equal(node.length, 1);
    await revokeTokenViaSuperClient(w, second ?? '', gurgle);
    node = await requestTokenList(w, gurgle, REFRESH_TOKEN_TYPE);
    assert.equal(node.length, 0);
    // try revoking a token belonging to another user: no error, nothing changes
    await revokeTokenViaSuperClient(w, refreshToken5, gurgle);
    node = await requestTokenList(w, darla, REFRESH_TOKEN_TYPE);
    assert.equal(node.length, 1);
    await revokeTokenViaSuperClient(w, refreshToken5, darla);
    node = await requestTokenList(w, darla, REFRESH_TOKEN_TYPE);
    assert.equal(node.length, 0);
  });

  it('testListTokenPublicClient — differs: PKCE for public clients; the list shows handles', async () => {
    const nemo = await w.userBasic('nemo');
    // access token 1 (client_secret= sent empty, as in Kustvakt's test)
    let pkce = await requestPublicCode(w, publicClientId, nemo);
    let res = await requestTokenWithAuthorizationCodeAndForm(
      w,
      publicClientId,
      '',
      pkce.code,
      undefined,
      { code_verifier: pkce.verifier },
    );
    assert.equal(res.status, 200, res.text);
    const accessToken1 = (res.body as TokenBody).access_token;
    // access token 2
    pkce = await requestPublicCode(w, publicClientId, nemo);
    res = await requestTokenWithAuthorizationCodeAndForm(
      w,
      publicClientId,
      '',
      pkce.code,
      undefined,
      { code_verifier: pkce.verifier },
    );
    assert.equal(res.status, 200, res.text);
    const accessToken2 = (res.body as TokenBody).access_token;
    // list access tokens
    let node = await requestTokenList(w, nemo, ACCESS_TOKEN_TYPE);
    assert.equal(node.length, 2);
    // list refresh tokens
    node = await requestTokenList(w, nemo, REFRESH_TOKEN_TYPE);
    assert.equal(node.length, 0);
    await revokeTokenViaSuperClient(w, accessToken1, nemo);
    node = await requestTokenList(w, nemo, ACCESS_TOKEN_TYPE);
    assert.equal(node.length, 1);
    const entry = node[0];
    assert.ok(entry);
    // Kustvakt lists accessToken2 itself; tokenvakt its handle (README: Security model).
    assert.notEqual(entry.token, accessToken2);
    assert.match(entry.token, HANDLE);
    assert.equal(entry.token_revealed, false);
    assert.ok(entry.scope.length > 0);
    assert.ok(entry.created_date);
    assert.equal(typeof entry.expires_in, 'number');
    assert.ok(entry.user_authentication_time);
    assert.equal(entry.client_id, publicClientId);
    assert.ok(entry.client_name);
    assert.ok(entry.client_description);
    assert.ok(entry.client_url);
    await revokeTokenViaSuperClient(w, accessToken2, nemo);
    node = await requestTokenList(w, nemo, ACCESS_TOKEN_TYPE);
    assert.equal(node.length, 0);
  });
});
