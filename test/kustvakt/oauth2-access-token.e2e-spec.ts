import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basicAuth, bearer } from '../support/test-app';
import { KUSTVAKT, startKustvaktWorld, type KustvaktWorld } from './kustvakt-fixture';
import {
  addResourceServer,
  expectError,
  introspect,
  parseAuthorizationCode,
  postForm,
  requestAuthorizationCode,
  requestCode,
  requestPublicCode,
  requestTokenWithAuthorizationCodeAndForm,
  requestTokenWithAuthorizationCodeAndHeader,
  requestTokenWithDoryPassword,
  requestTokenWithPassword,
  requestTokenWithRefreshToken,
  revokeToken,
  revokeTokenViaSuperClient,
  testSearchWithOAuth2Token,
  testSearchWithRevokedAccessToken,
  type TokenBody,
} from './oauth2-token-requests';

const { confidentialClientId, publicClientId, superClientId, clientSecret } = KUSTVAKT;
const ACCESS_TOKEN_TYPE = 'access_token';
const REFRESH_TOKEN_TYPE = 'refresh_token';

/**
 * Kustvakt's OAuth2AccessTokenTest (src/test/java/de/ids_mannheim/korap/web/controller/oauth2/),
 * one `it` per @Test. Kustvakt's search and virtual-corpus routes are not tokenvakt's: where
 * a test uses them to see what a token may do, it asks what a search backend in front of
 * tokenvakt asks, RFC 7662 introspection (see oauth2-token-requests.ts). Error descriptions
 * are tokenvakt's own words; what they must say is matched, not their spelling.
 */
describe('OAuth2AccessTokenTest (Kustvakt)', () => {
  let w: KustvaktWorld;
  let userAuthHeader: string;
  const clientAuthHeader = basicAuth(confidentialClientId, clientSecret);

  before(async () => {
    w = await startKustvaktWorld();
    await addResourceServer(w);
    userAuthHeader = await w.userBasic('dory');
  });
  after(() => w.close());

  it('testScopeWithSuperClient', async () => {
    const res = await requestTokenWithDoryPassword(w, superClientId, clientSecret);
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    assert.equal(node.scope, 'all');
    // Kustvakt then lists dory's user groups with the token (/group is Kustvakt's own); here
    // the session token does what a super client's session with scope "all" does: it lists
    // the user's tokens.
    const list = await postForm(
      w,
      'oauth2/token/list',
      { ...w.superClientForm(), token_type: ACCESS_TOKEN_TYPE },
      bearer(node.access_token),
    );
    assert.equal(list.status, 200, list.text);
    assert.ok(Array.isArray(list.body));
  });

  it('testCustomScope', async () => {
    const response = await requestAuthorizationCode(
      w,
      'code',
      confidentialClientId,
      '',
      'vc_info',
      '',
      userAuthHeader,
    );
    const code = parseAuthorizationCode(response);
    const res = await requestTokenWithAuthorizationCodeAndForm(
      w,
      confidentialClientId,
      clientSecret,
      code,
    );
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    assert.ok(node.scope.includes('vc_info'));
    // Kustvakt lists dory's virtual corpora with the token; the search backend sees vc_info.
    const info = await introspect(w, node.access_token);
    assert.equal(info.active, true);
    assert.equal(info.scope, 'vc_info');

    await revokeToken(w, node.access_token, confidentialClientId, clientSecret, ACCESS_TOKEN_TYPE);
    await revokeToken(
      w,
      node.refresh_token ?? '',
      confidentialClientId,
      clientSecret,
      REFRESH_TOKEN_TYPE,
    );
  });

  it('testDefaultScope', async () => {
    const code = await requestCode(w, confidentialClientId, userAuthHeader);
    const res = await requestTokenWithAuthorizationCodeAndForm(
      w,
      confidentialClientId,
      clientSecret,
      code,
    );
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    // testScopeNotAuthorized, testScopeNotAuthorize2: Kustvakt's /vc and /vc/access refuse
    // the token; what they check is its scope, which has neither vc_info nor vc_access_info.
    const info = await introspect(w, node.access_token);
    assert.equal(info.scope, 'match_info search');
    await testSearchWithOAuth2Token(w, node.access_token);

    await revokeToken(w, node.access_token, confidentialClientId, clientSecret, ACCESS_TOKEN_TYPE);
    await revokeToken(
      w,
      node.refresh_token ?? '',
      confidentialClientId,
      clientSecret,
      REFRESH_TOKEN_TYPE,
    );
  });

  it('testSearchWithUnknownToken', async () => {
    // A call with the unknown token under /api/v1.1/ (Kustvakt's /search is its own).
    const res = await postForm(
      w,
      'oauth2/token/list',
      { ...w.superClientForm(), token_type: ACCESS_TOKEN_TYPE },
      bearer('ljsa8tKNRSczJhk20öhq92zG8z350'),
    );
    assert.equal(res.status, 401, res.text);
    const node = res.body as { errors: Array<[number, string]> };
    assert.equal(node.errors[0]?.[0], 2011); // StatusCodes.INVALID_ACCESS_TOKEN
    assert.equal(node.errors[0]?.[1], 'Access token is invalid');
  });

  it('testRevokeAccessTokenConfidentialClient', async () => {
    const code = await requestCode(w, confidentialClientId, userAuthHeader);
    const node = await requestTokenWithAuthorizationCodeAndHeader(
      w,
      confidentialClientId,
      code,
      clientAuthHeader,
    );
    await revokeToken(w, node.access_token, confidentialClientId, clientSecret, ACCESS_TOKEN_TYPE);
    await testSearchWithRevokedAccessToken(w, node.access_token);
    await revokeToken(
      w,
      node.refresh_token ?? '',
      confidentialClientId,
      clientSecret,
      REFRESH_TOKEN_TYPE,
    );
  });

  it('testRevokeAccessTokenPublicClientViaSuperClient — differs: PKCE for public clients', async () => {
    const { code, verifier } = await requestPublicCode(w, publicClientId, userAuthHeader);
    // client_secret= sent empty, as Kustvakt's test does: a public client without a secret.
    const res = await requestTokenWithAuthorizationCodeAndForm(
      w,
      publicClientId,
      '',
      code,
      undefined,
      { code_verifier: verifier },
    );
    assert.equal(res.status, 200, res.text);
    const accessToken = (res.body as TokenBody).access_token;
    await revokeTokenViaSuperClient(w, accessToken, userAuthHeader);
    await testSearchWithRevokedAccessToken(w, accessToken);
  });

  it('testAccessTokenAfterRequestRefreshToken', async () => {
    const code = await requestCode(w, confidentialClientId, userAuthHeader);
    const node = await requestTokenWithAuthorizationCodeAndHeader(
      w,
      confidentialClientId,
      code,
      clientAuthHeader,
    );
    const refreshed = await requestTokenWithRefreshToken(
      w,
      confidentialClientId,
      clientSecret,
      node.refresh_token ?? '',
    );
    assert.notEqual(refreshed.refresh_token, node.refresh_token);

    await testSearchWithRevokedAccessToken(w, node.access_token);
    await revokeToken(
      w,
      refreshed.access_token,
      confidentialClientId,
      clientSecret,
      ACCESS_TOKEN_TYPE,
    );
    await revokeToken(
      w,
      refreshed.refresh_token ?? '',
      confidentialClientId,
      clientSecret,
      REFRESH_TOKEN_TYPE,
    );
  });

  it('testRequestAuthorizationWithBearerTokenUnauthorized — differs: 403 insufficient_scope (RFC 6750 §3.1), not 401', async () => {
    const code = await requestCode(w, confidentialClientId, userAuthHeader);
    const node = await requestTokenWithAuthorizationCodeAndHeader(
      w,
      confidentialClientId,
      code,
      clientAuthHeader,
    );
    // A third-party client's token is no super client's session: it may not authorize.
    const res = await requestAuthorizationCode(
      w,
      'code',
      confidentialClientId,
      '',
      'search',
      '',
      bearer(node.access_token),
    );
    expectError(res, 403, 'insufficient_scope');
    assert.match(String(res.headers['www-authenticate']), /error="insufficient_scope"/);

    await revokeToken(w, node.access_token, confidentialClientId, clientSecret, ACCESS_TOKEN_TYPE);
    await revokeToken(
      w,
      node.refresh_token ?? '',
      confidentialClientId,
      clientSecret,
      REFRESH_TOKEN_TYPE,
    );
  });

  it('testRequestAuthorizationWithBearerToken', async () => {
    const res = await requestTokenWithDoryPassword(w, superClientId, clientSecret);
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    assert.ok(node.access_token);
    assert.equal(node.token_type, 'Bearer');
    assert.equal(typeof node.expires_in, 'number');
    const code = await requestCode(w, superClientId, bearer(node.access_token));
    assert.ok(code);

    await revokeTokenViaSuperClient(w, node.access_token, userAuthHeader);
    assert.deepEqual(await introspect(w, node.access_token), { active: false });
  });

  it('testRequestAuthorizationWithPassword', async () => {
    // Kustvakt's test server takes any password ("pass}"); here the user's is "password".
    await w.userBasic('username');
    const res = await requestTokenWithPassword(
      w,
      superClientId,
      clientSecret,
      'username',
      KUSTVAKT.password,
    );
    assert.equal(res.status, 200, res.text);
    const node = res.body as TokenBody;
    assert.ok(node.access_token);
    assert.ok(node.refresh_token);
    assert.equal(node.scope, 'all');
    assert.equal(node.token_type, 'Bearer');
    assert.equal(typeof node.expires_in, 'number');
  });
});
