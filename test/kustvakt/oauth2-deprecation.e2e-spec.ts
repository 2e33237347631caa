import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KUSTVAKT, type KustvaktWorld, startKustvaktWorld } from './kustvakt-fixture';
import {
  createOAuth2ClientJson,
  deregisterClient,
  postClientList,
  registerClient,
  requestAuthorizationCode,
  requestTokenWithAuthorizationCodeAndForm,
} from './oauth2-client-helpers';

/**
 * Kustvakt's OAuth2DeprecationTest (KorAP/Kustvakt, src/test/java/de/ids_mannheim/korap/web/
 * controller/oauth2/): the client list's deprecated parameters per API version (README:
 * Running KorAP's Kalamar against tokenvakt). PKCE_REQUIRED=none as in a Kalamar deployment:
 * Kustvakt's test authorizes a public client without PKCE.
 */
describe('OAuth2DeprecationTest (Kustvakt)', () => {
  let w: KustvaktWorld;
  const username = 'dory';
  const { publicClientId, API_VERSION, API_VERSION_V1_0 } = KUSTVAKT;

  before(async () => {
    w = await startKustvaktWorld({ PKCE_REQUIRED: 'none' });
  });
  after(() => w.close());

  it('testListClients', async () => {
    const userAuthHeader = await w.userBasic(username);
    // authorized client
    const code = await requestAuthorizationCode(w, publicClientId, userAuthHeader);
    let response = await requestTokenWithAuthorizationCodeAndForm(w, publicClientId, '', code);
    assert.equal(response.status, 200, response.text);

    // owned client
    const clientJson = createOAuth2ClientJson(
      'OAuth2DesktopClient',
      'PUBLIC',
      'This is a desktop test client.',
    );
    response = await registerClient(w, username, clientJson);
    assert.equal(response.status, 200, response.text);
    const node = response.body as { client_id: string; client_secret?: string };
    const clientId = node.client_id;
    assert.ok(clientId);
    assert.equal(node.client_secret, undefined);

    await testListAuthorizedClients(userAuthHeader, publicClientId);
    await testListOwnedClient(userAuthHeader, clientId);
    await testFilterBy(userAuthHeader, publicClientId);

    await deregisterClient(w, username, clientId);
  });

  async function testListAuthorizedClients(userAuthHeader: string, clientId: string) {
    const form = { authorized_only: 'true' };
    // V1.0
    let response = await postClientList(w, userAuthHeader, form, API_VERSION_V1_0);
    assert.equal(response.status, 200, response.text);
    let node = response.body as Array<{ client_id: string }>;
    assert.equal(node.length, 1);
    assert.equal(node[0]?.client_id, clientId);

    // current version
    response = await postClientList(w, userAuthHeader, form, API_VERSION);
    assert.equal(response.status, 200, response.text);
    node = response.body as Array<{ client_id: string }>;
    assert.equal(node.length, 2);
  }

  async function testListOwnedClient(userAuthHeader: string, clientId: string) {
    // V1.0
    const response = await postClientList(w, userAuthHeader, {}, API_VERSION_V1_0);
    assert.equal(response.status, 200, response.text);
    const node = response.body as Array<{ client_id: string }>;
    assert.equal(node.length, 1);
    assert.equal(node[0]?.client_id, clientId);
  }

  async function testFilterBy(userAuthHeader: string, clientId: string) {
    // V1.0
    const response = await postClientList(
      w,
      userAuthHeader,
      { filter_by: 'authorized_only' },
      API_VERSION_V1_0,
    );
    assert.equal(response.status, 200, response.text);
    const node = response.body as Array<{ client_id: string }>;
    assert.equal(node.length, 1);
    assert.equal(node[0]?.client_id, clientId);
  }
});
