import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer } from '../support/test-app';
import { KUSTVAKT, type KustvaktWorld, startKustvaktWorld } from './kustvakt-fixture';
import {
  assertRevokedRefreshTokenRefused,
  createOAuth2ClientJson,
  deregister,
  deregisterClient,
  listUserClients,
  postClientList,
  registerClient,
  registerConfidentialClient,
  requestAuthorization,
  requestAuthorizationCode,
  requestTokenWithAuthorizationCodeAndForm,
  requestTokenWithPassword,
  retrieveClientInfo,
  revokeAllViaSuperClient,
} from './oauth2-client-helpers';
import {
  addResourceServer,
  testSearchWithOAuth2Token,
  testSearchWithRevokedAccessToken,
} from './oauth2-token-requests';

/**
 * Kustvakt's OAuth2ClientControllerTest (KorAP/Kustvakt, src/test/java/de/ids_mannheim/korap/
 * web/controller/oauth2/), one `it` per @Test, its private helpers as functions. The world
 * runs with PKCE_REQUIRED=none, as a Kalamar deployment does (README: Running KorAP's Kalamar
 * against tokenvakt): Kustvakt's tests authorize public clients without PKCE.
 */
describe('OAuth2ClientControllerTest (Kustvakt)', () => {
  let w: KustvaktWorld;
  const username = 'OAuth2ClientControllerTest';
  const {
    publicClientId,
    confidentialClientId,
    superClientId,
    clientSecret,
    clientURL,
    clientRedirectUri,
  } = KUSTVAKT;
  /** 365 days: Kustvakt's default refresh token expiry, and tokenvakt's REFRESH_TOKEN_TTL. */
  const defaultRefreshTokenExpiry = 31_536_000;

  before(async () => {
    w = await startKustvaktWorld({ PKCE_REQUIRED: 'none' });
    await addResourceServer(w);
  });
  after(() => w.close());

  const userAuth = (name: string) => w.userBasic(name);

  it('testRetrieveClientInfo', async () => {
    // public client plugin
    let clientInfo = await retrieveClientInfo(w, publicClientId, 'system');
    assert.equal(clientInfo.client_id, publicClientId);
    assert.equal(clientInfo.client_name, 'public client plugin with redirect uri');
    assert.equal(clientInfo.client_type, 'PUBLIC');
    // confidential client
    clientInfo = await retrieveClientInfo(w, confidentialClientId, 'system');
    assert.equal(clientInfo.client_id, confidentialClientId);
    assert.equal(clientInfo.client_name, 'non super confidential client');
    assert.equal(clientInfo.super === true, false);
    assert.equal(clientInfo.client_type, 'CONFIDENTIAL');
    // super client
    clientInfo = await retrieveClientInfo(w, superClientId, 'system');
    assert.equal(clientInfo.client_id, superClientId);
    assert.equal(clientInfo.client_name, 'super confidential client');
    assert.equal(clientInfo.client_type, 'CONFIDENTIAL');
    assert.equal(clientInfo.super, true);
  });

  it('testRegisterConfidentialClient — differs: client ids use all 62 letters and digits', async () => {
    const response = await registerConfidentialClient(w, username);
    assert.equal(response.status, 200, response.text);
    const node = response.body as { client_id: string; client_secret: string };
    const clientId = node.client_id;
    assert.ok(node.client_secret);
    // Kustvakt leaves out confusable characters ("a" among them); tokenvakt does not.
    assert.match(clientId, /^[A-Za-z0-9]{16}$/);
    await testListConfidentialClient(username, clientId);
    await testConfidentialClientInfo(clientId, username);
    await testResetConfidentialClientSecret(clientId, node.client_secret);
    await deregisterClient(w, username, clientId);
  });

  /**
   * 400 invalid_request with tokenvakt's error_description; Kustvakt's are "client_name must
   * contain at least 3 characters", "client_name is null", "client_description is null" and
   * "client_type is null".
   */
  const assertInvalidRegistration = async (
    json: ReturnType<typeof createOAuth2ClientJson>,
    description: string,
  ) => {
    const response = await registerClient(w, username, json);
    assert.equal(response.status, 400, response.text);
    assert.equal((response.body as { error: string }).error, 'invalid_request');
    assert.equal((response.body as { error_description: string }).error_description, description);
  };

  it("testRegisterClientNameTooShort — differs: error_description in tokenvakt's words", async () => {
    // tokenvakt checks the body's fields first (the description is missing), then the name
    await assertInvalidRegistration(
      createOAuth2ClientJson('R', 'PUBLIC', null),
      'description is required: 1 to 1000 characters.',
    );
    await assertInvalidRegistration(
      createOAuth2ClientJson('R', 'PUBLIC', 'A client.'),
      'name must be 3 to 255 characters.',
    );
  });

  it("testRegisterClientEmptyName — differs: error_description in tokenvakt's words", async () => {
    await assertInvalidRegistration(
      createOAuth2ClientJson('', 'PUBLIC', null),
      'description is required: 1 to 1000 characters.',
    );
    await assertInvalidRegistration(
      createOAuth2ClientJson('', 'PUBLIC', 'A client.'),
      'name must be 3 to 255 characters.',
    );
  });

  it("testRegisterClientMissingName — differs: error_description in tokenvakt's words", async () => {
    await assertInvalidRegistration(
      createOAuth2ClientJson(null, 'PUBLIC', null),
      'name is required: 3 to 255 characters.',
    );
  });

  it("testRegisterClientMissingDescription — differs: error_description in tokenvakt's words", async () => {
    await assertInvalidRegistration(
      createOAuth2ClientJson('R client', 'PUBLIC', null),
      'description is required: 1 to 1000 characters.',
    );
  });

  it("testRegisterClientMissingType — differs: error_description in tokenvakt's words", async () => {
    await assertInvalidRegistration(
      createOAuth2ClientJson('R client', null, null),
      'type must be PUBLIC or CONFIDENTIAL',
    );
  });

  it('testRegisterClientInvalidRedirectURI — differs: any host name is accepted (no list of top-level domains)', async () => {
    // Kustvakt's URL validator refuses the unknown top-level domain ".client"; tokenvakt
    // checks the form of a redirect URI (README: Security model), not its host.
    const clientJson = {
      ...createOAuth2ClientJson('OAuth2PublicClient', 'PUBLIC', 'A public test client.'),
      redirect_uri: 'https://test.public.client/redirect',
    };
    let response = await registerClient(w, username, clientJson);
    assert.equal(response.status, 200, response.text);
    await deregisterClient(w, username, (response.body as { client_id: string }).client_id);
    // fragment is not allowed
    clientJson.redirect_uri = 'https://public.client.com/redirect.html#bar';
    response = await registerClient(w, username, clientJson);
    assert.equal(response.status, 400);
    assert.equal((response.body as { error: string }).error, 'invalid_request');
    assert.match(String(response.headers['content-type']), /^application\/json; ?charset=utf-8$/);
  });

  it('testRegisterPublicClientWithRefreshTokenExpiry', async () => {
    const clientJson = {
      ...createOAuth2ClientJson('OAuth2PublicClient', 'PUBLIC', 'A public test client.'),
      refresh_token_expiry: 31_535_000,
    };
    const response = await registerClient(w, username, clientJson);
    assert.equal((response.body as { error: string }).error, 'invalid_request');
    assert.equal(response.status, 400);
  });

  it('testRegisterConfidentialClientWithRefreshTokenExpiry', async () => {
    const expiry = 31_535_000;
    const clientJson = {
      ...createOAuth2ClientJson(
        'OAuth2 Confidential Client',
        'CONFIDENTIAL',
        'A confidential client.',
      ),
      refresh_token_expiry: expiry,
    };
    const response = await registerClient(w, username, clientJson);
    const clientId = (response.body as { client_id: string }).client_id;
    const clientInfo = await retrieveClientInfo(w, clientId, username);
    assert.equal(clientInfo.refresh_token_expiry, expiry);
    await deregisterClient(w, username, clientId);
  });

  it('testRegisterConfidentialClientWithInvalidRefreshTokenExpiry', async () => {
    const clientJson = {
      ...createOAuth2ClientJson(
        'OAuth2 Confidential Client',
        'CONFIDENTIAL',
        'A confidential client.',
      ),
      refresh_token_expiry: 31_537_000,
    };
    const response = await registerClient(w, username, clientJson);
    const node = response.body as { error: string; error_description: string };
    assert.equal(
      node.error_description,
      'Maximum refresh token expiry is 31536000 seconds (1 year)',
    );
    assert.equal(node.error, 'invalid_request');
    assert.equal(response.status, 400);
  });

  it('testRegisterClientInvalidURL — differs: any host name is accepted (no list of top-level domains)', async () => {
    // invalid hostname for Kustvakt's validator: tokenvakt takes any absolute http(s) URL
    const clientJson: Record<string, unknown> = {
      ...createOAuth2ClientJson('OAuth2PublicClient', 'PUBLIC', 'A public test client.'),
      url: 'https://test.public.client',
    };
    let response = await registerClient(w, username, clientJson);
    assert.equal(response.status, 200, response.text);
    await deregisterClient(w, username, (response.body as { client_id: string }).client_id);
    // localhost, here as the redirect URI, is a loopback host tokenvakt allows over http
    clientJson.redirect_uri = 'http://localhost:1410';
    response = await registerClient(w, username, clientJson);
    assert.equal(response.status, 200, response.text);
    await deregisterClient(w, username, (response.body as { client_id: string }).client_id);
    // what tokenvakt does refuse as a URL
    clientJson.url = 'javascript:alert(1)';
    response = await registerClient(w, username, clientJson);
    assert.equal(response.status, 400);
    assert.equal((response.body as { error: string }).error, 'invalid_request');
  });

  it('testRegisterPublicClient — differs: a token without the scope is 403 insufficient_scope (RFC 6750), a public client sends no secret', async () => {
    const redirectUri = 'https://public.client.com/redirect';
    const clientJson = {
      ...createOAuth2ClientJson('OAuth2PublicClient', 'PUBLIC', 'A public test client.'),
      // http and fragment are allowed
      url: 'http://public.client.com/index.html#bar',
      redirect_uri: redirectUri,
    };
    const response = await registerClient(w, username, clientJson);
    assert.equal(response.status, 200, response.text);
    const node = response.body as { client_id: string; client_secret?: string };
    const clientId = node.client_id;
    assert.ok(clientId);
    assert.equal(node.client_secret, undefined);

    const listed = await listUserClients(w, username, 'owned_only');
    assert.notEqual(listed[0]?.client_redirect_uri, undefined);
    assert.notEqual(listed[0]?.registration_date, undefined);

    await testRegisterClientUnauthorizedScope(clientId);
    await testResetPublicClientSecret(clientId);
    await testAccessTokenAfterDeregistration(clientId, null, '');
  });

  async function testRegisterClientUnauthorizedScope(clientId: string): Promise<void> {
    const userAuthHeader = await userAuth('dory');
    let code = await requestAuthorizationCode(w, clientId, userAuthHeader);
    // Kustvakt ignores the secret a public client sends; tokenvakt refuses it, since a
    // public client has none (README: Choices where the spec is silent).
    let response = await requestTokenWithAuthorizationCodeAndForm(w, clientId, clientSecret, code);
    assert.equal(response.status, 401, response.text);
    assert.equal((response.body as { error: string }).error, 'invalid_client');
    code = await requestAuthorizationCode(w, clientId, userAuthHeader);
    response = await requestTokenWithAuthorizationCodeAndForm(w, clientId, null, code);
    assert.equal(response.status, 200, response.text);
    const node = response.body as { scope: string; access_token: string };
    assert.deepEqual(node.scope.split(' ').sort(), ['match_info', 'search']);
    const res = await w.t
      .http()
      .post(w.api('oauth2/client/register'))
      .set('Authorization', bearer(node.access_token))
      .send(createOAuth2ClientJson('R client', 'PUBLIC', null));
    // Kustvakt: 401 with errors [[AUTHORIZATION_FAILED, "Scope register_client is not authorized"]].
    assert.equal(res.status, 403, res.text);
    assert.equal((res.body as { error: string }).error, 'insufficient_scope');
    assert.match(String(res.headers['www-authenticate']), /^Bearer .*error="insufficient_scope"/);
  }

  it('testRegisterClientUsingPlainJson', async () => {
    // Kustvakt's src/test/resources/json/oauth2_public_client.json, as plain text
    const json =
      '{\n  "name":"my client",\n  "type": "PUBLIC",\n  "redirect_uri": "https://my.client.com",\n' +
      '  "description":"my public client"\n}';
    const response = await w.t
      .http()
      .post(w.api('oauth2/client/register'))
      .set('Authorization', await userAuth(username))
      .set('Content-Type', 'application/json')
      .send(json);
    assert.equal(response.status, 200, response.text);
    const node = response.body as { client_id: string; client_secret?: string };
    assert.ok(node.client_id);
    assert.equal(node.client_secret, undefined);
    await testResetPublicClientSecret(node.client_id);
    await testAccessTokenAfterDeregistration(node.client_id, null, '');
  });

  it("testRegisterDesktopApp — differs: a request without user authentication is 401 invalid_token (RFC 6750), without Kustvakt's errors array", async () => {
    const clientJson = createOAuth2ClientJson(
      'OAuth2DesktopClient',
      'PUBLIC',
      'This is a desktop test client.',
    );
    const response = await registerClient(w, username, clientJson);
    assert.equal(response.status, 200, response.text);
    const node = response.body as { client_id: string; client_secret?: string };
    const clientId = node.client_id;
    assert.ok(clientId);
    assert.equal(node.client_secret, undefined);
    await testDeregisterPublicClientMissingUserAuthentication(clientId);
    await testDeregisterPublicClientMissingId();
    await testDeregisterPublicClient(clientId, username);
  });

  it('testRegisterMultipleDesktopApps — differs: authorization needs a registered redirect URI', async () => {
    // First client
    let response = await registerClient(
      w,
      username,
      createOAuth2ClientJson('OAuth2DesktopClient1', 'PUBLIC', 'A desktop test client.'),
    );
    assert.equal(response.status, 200, response.text);
    const clientId1 = (response.body as { client_id: string }).client_id;
    assert.equal((response.body as { client_secret?: string }).client_secret, undefined);
    // Second client
    response = await registerClient(
      w,
      username,
      createOAuth2ClientJson('OAuth2DesktopClient2', 'PUBLIC', 'Another desktop test client.'),
    );
    assert.equal(response.status, 200, response.text);
    const clientId2 = (response.body as { client_id: string }).client_id;
    assert.equal((response.body as { client_secret?: string }).client_secret, undefined);

    for (const [clientId, redirectUri] of [
      [clientId1, 'https://OAuth2DesktopClient1.com'],
      [clientId2, 'https://OAuth2DesktopClient2.com'],
    ] as const) {
      await testResetPublicClientSecret(clientId);
      // Kustvakt accepts any redirect_uri from a client that registered none; tokenvakt
      // refuses it directly, never redirecting (README: Security model, Redirect URIs).
      const authorization = await requestAuthorization(
        w,
        { clientId, redirectUri, scope: 'search' },
        await userAuth('dory'),
      );
      assert.equal(authorization.status, 400, authorization.text);
      assert.equal((authorization.body as { error: string }).error, 'invalid_request');
      assert.equal(authorization.headers.location, undefined);
      await testDeregisterPublicClient(clientId, username);
    }
  });

  /** `testAccessTokenAfterDeregistration(clientId, clientSecret, redirectUri)`. */
  async function testAccessTokenAfterDeregistration(
    clientId: string,
    secret: string | null,
    redirectUri: string,
  ): Promise<void> {
    const userAuthHeader = await userAuth('dory');
    let code = await requestAuthorizationCode(w, clientId, userAuthHeader, redirectUri, 'search');
    let response = await requestTokenWithAuthorizationCodeAndForm(
      w,
      clientId,
      secret,
      code,
      redirectUri,
    );
    assert.equal(response.status, 200, response.text);
    const accessToken = (response.body as { access_token: string }).access_token;
    await testSearchWithOAuth2Token(w, accessToken);
    code = await requestAuthorizationCode(w, clientId, userAuthHeader, redirectUri, 'search');
    await testDeregisterPublicClient(clientId, username);
    response = await requestTokenWithAuthorizationCodeAndForm(
      w,
      clientId,
      secret,
      code,
      redirectUri,
    );
    assert.equal(response.status, 401);
    assert.equal((response.body as { error: string }).error, 'invalid_client');
    await testSearchWithRevokedAccessToken(w, accessToken);
  }

  async function testDeregisterPublicClientMissingUserAuthentication(
    clientId: string,
  ): Promise<void> {
    const response = await w.t.http().delete(w.api(`oauth2/client/deregister/${clientId}`));
    assert.equal(response.status, 401);
    // Kustvakt: errors [[AUTHORIZATION_FAILED, ...]]; tokenvakt: RFC 6750's challenge and body.
    assert.equal((response.body as { error: string }).error, 'invalid_token');
    assert.equal(response.headers['www-authenticate'], 'Bearer realm="tokenvakt"');
    assert.equal((response.body as { errors?: unknown }).errors, undefined);
  }

  async function testDeregisterPublicClientMissingId(): Promise<void> {
    const response = await w.t
      .http()
      .delete(w.api('oauth2/client/deregister'))
      .set('Authorization', await userAuth(username));
    assert.equal(response.status, 405);
    // RFC 9110 §15.5.6: client/<one segment> is POST (a client's info), as in Kustvakt.
    assert.equal(response.headers.allow, 'POST');
  }

  async function testDeregisterPublicClient(clientId: string, name: string): Promise<void> {
    const response = await deregister(w, name, clientId);
    assert.equal(response.status, 200, response.text);
  }

  async function testResetPublicClientSecret(clientId: string): Promise<void> {
    const response = await w.t
      .http()
      .post(w.api('oauth2/client/reset'))
      .set('Authorization', await userAuth(username))
      .type('form')
      .send({ client_id: clientId });
    assert.equal(response.status, 400);
    assert.equal((response.body as { error: string }).error, 'invalid_request');
    // Kustvakt: "Operation is not allowed for public clients"
    assert.equal(
      (response.body as { error_description: string }).error_description,
      'Public clients have no secret to reset.',
    );
  }

  async function testResetConfidentialClientSecret(
    clientId: string,
    secret: string,
  ): Promise<string> {
    const response = await w.t
      .http()
      .post(w.api('oauth2/client/reset'))
      .set('Authorization', await userAuth(username))
      .type('form')
      .send({ client_id: clientId, client_secret: secret });
    assert.equal(response.status, 200, response.text);
    const node = response.body as { client_id: string; client_secret: string };
    assert.equal(node.client_id, clientId);
    assert.notEqual(node.client_secret, secret);
    return node.client_secret;
  }

  async function testListAuthorizedClients(userAuthHeader: string): Promise<void> {
    const response = await postClientList(w, userAuthHeader, { filter_by: 'authorized_only' });
    assert.equal(response.status, 200, response.text);
    const node = response.body as Array<Record<string, unknown>>;
    assert.equal(node.length, 2);
    assert.equal(node[0]?.client_id, confidentialClientId);
    assert.equal(node[1]?.client_id, publicClientId);
    assert.equal(node[0]?.client_name, 'non super confidential client');
    assert.equal(node[0]?.client_type, 'CONFIDENTIAL');
    assert.notEqual(node[0]?.client_url, undefined);
    assert.notEqual(node[0]?.client_description, undefined);
  }

  it('testListPublicClient', async () => {
    const clientName = 'OAuth2DoryClient';
    await registerClient(w, 'dory', createOAuth2ClientJson(clientName, 'PUBLIC', "Dory's client."));
    const node = await listUserClients(w, 'dory', 'owned_only');
    assert.equal(node.length, 1);
    assert.equal(node[0]?.client_name, clientName);
    assert.equal(node[0]?.client_type, 'PUBLIC');
    assert.equal(node[0]?.permitted, true);
    assert.notEqual(node[0]?.registration_date, undefined);
    const clientId = node[0]?.client_id as string;
    await testDeregisterPublicClient(clientId, 'dory');
  });

  async function testListConfidentialClient(name: string, clientId: string): Promise<void> {
    // means authorized_only = false
    // this is deprecated, filter_by = owned_only should be use instead.
    const node = await listUserClients(w, name, '');
    assert.equal(node.length, 1);
    assert.equal(node[0]?.client_id, clientId);
    assert.equal(node[0]?.client_name, 'OAuth2ClientTest');
    assert.equal(node[0]?.client_type, 'CONFIDENTIAL');
    assert.equal(node[0]?.client_url, clientURL);
    assert.equal(node[0]?.client_redirect_uri, clientRedirectUri);
    assert.notEqual(node[0]?.registration_date, undefined);
    assert.equal(node[0]?.refresh_token_expiry, defaultRefreshTokenExpiry);
    assert.equal(node[0]?.permitted, true);
    assert.equal(node[0]?.source, undefined);
  }

  async function testConfidentialClientInfo(clientId: string, name: string): Promise<void> {
    const clientInfo = await retrieveClientInfo(w, clientId, name);
    assert.equal(clientInfo.client_id, clientId);
    assert.equal(clientInfo.client_name, 'OAuth2ClientTest');
    assert.equal(clientInfo.client_type, 'CONFIDENTIAL');
    assert.equal(clientInfo.client_url, clientURL);
    assert.equal(clientInfo.client_redirect_uri, clientRedirectUri);
    assert.equal(clientInfo.refresh_token_expiry, defaultRefreshTokenExpiry);
    assert.equal(clientInfo.permitted, true);
    assert.equal(clientInfo.source, undefined);
  }

  it('testListAuthorizedUserClients — differs: revoking answers an empty 200 (RFC 7009), not "SUCCESS"', async () => {
    const name = 'pearl';
    const userAuthHeader = await userAuth(name);
    // super client
    let response = await requestTokenWithPassword(w, superClientId, clientSecret, name);
    assert.equal(response.status, 200, response.text);
    // client 1
    let code = await requestAuthorizationCode(w, publicClientId, userAuthHeader);
    response = await requestTokenWithAuthorizationCodeAndForm(w, publicClientId, '', code);
    let accessToken = (response.body as { access_token: string }).access_token;
    // client 2
    code = await requestAuthorizationCode(w, confidentialClientId, userAuthHeader);
    const client2 = await requestTokenWithAuthorizationCodeAndForm(
      w,
      confidentialClientId,
      clientSecret,
      code,
    );
    assert.equal(client2.status, 200, client2.text);
    await testListAuthorizedClients(userAuthHeader);
    await testListAuthorizedClientWithMultipleRefreshTokens(userAuthHeader);
    await testListAuthorizedClientWithMultipleAccessTokens(userAuthHeader);
    await testListWithClientsFromAnotherUser(userAuthHeader);
    // revoke client 1
    await testRevokeAllTokenViaSuperClient(publicClientId, userAuthHeader, accessToken);
    // revoke client 2
    const node = client2.body as { access_token: string; refresh_token: string };
    accessToken = node.access_token;
    await testRevokeAllTokenViaSuperClient(confidentialClientId, userAuthHeader, accessToken);
    await assertRevokedRefreshTokenRefused(
      w,
      confidentialClientId,
      clientSecret,
      node.refresh_token,
    );
  });

  async function testListAuthorizedClientWithMultipleRefreshTokens(
    userAuthHeader: string,
  ): Promise<void> {
    // client 2
    const code = await requestAuthorizationCode(w, confidentialClientId, userAuthHeader);
    const response = await requestTokenWithAuthorizationCodeAndForm(
      w,
      confidentialClientId,
      clientSecret,
      code,
    );
    assert.equal(response.status, 200, response.text);
    await testListAuthorizedClients(userAuthHeader);
  }

  async function testListAuthorizedClientWithMultipleAccessTokens(
    userAuthHeader: string,
  ): Promise<void> {
    // client 1
    const code = await requestAuthorizationCode(w, publicClientId, userAuthHeader);
    const response = await requestTokenWithAuthorizationCodeAndForm(w, publicClientId, '', code);
    assert.equal(response.status, 200, response.text);
    await testListAuthorizedClients(userAuthHeader);
  }

  async function testListWithClientsFromAnotherUser(userAuthHeader: string): Promise<void> {
    const aaaAuthHeader = await userAuth('aaa');
    // client 1
    let code = await requestAuthorizationCode(w, publicClientId, aaaAuthHeader);
    let response = await requestTokenWithAuthorizationCodeAndForm(w, publicClientId, '', code);
    const accessToken1 = (response.body as { access_token: string }).access_token;
    // client 2
    code = await requestAuthorizationCode(w, confidentialClientId, aaaAuthHeader);
    response = await requestTokenWithAuthorizationCodeAndForm(
      w,
      confidentialClientId,
      clientSecret,
      code,
    );
    const node = response.body as { access_token: string; refresh_token: string };
    await testListAuthorizedClients(aaaAuthHeader);
    await testListAuthorizedClients(userAuthHeader);
    await testRevokeAllTokenViaSuperClient(publicClientId, aaaAuthHeader, accessToken1);
    await testRevokeAllTokenViaSuperClient(confidentialClientId, aaaAuthHeader, node.access_token);
    await assertRevokedRefreshTokenRefused(
      w,
      confidentialClientId,
      clientSecret,
      node.refresh_token,
    );
  }

  async function testRevokeAllTokenViaSuperClient(
    clientId: string,
    userAuthHeader: string,
    accessToken: string,
  ): Promise<void> {
    // check token before revoking
    await testSearchWithOAuth2Token(w, accessToken);
    const response = await revokeAllViaSuperClient(w, clientId, userAuthHeader);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.text, '');
    await testSearchWithRevokedAccessToken(w, accessToken);
  }
});
