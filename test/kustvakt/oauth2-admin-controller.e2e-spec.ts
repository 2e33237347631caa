import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientsService } from '../../src/clients/clients.service';
import { basicAuth } from '../support/test-app';
import { type KustvaktWorld, startKustvaktWorld } from './kustvakt-fixture';
import {
  deregisterClient,
  registerConfidentialClient,
  requestAuthorizationCode,
  retrieveClientInfo,
} from './oauth2-client-helpers';
import {
  addResourceServer,
  testSearchWithOAuth2Token,
  testSearchWithRevokedAccessToken,
} from './oauth2-token-requests';

/**
 * Kustvakt's OAuth2AdminControllerTest (KorAP/Kustvakt, src/test/java/de/ids_mannheim/korap/
 * web/controller/oauth2/). Kustvakt's admin routes (`admin/oauth2/token/clean`,
 * `admin/oauth2/client/privilege`) are for an admin user or the admin token; tokenvakt's admin
 * API is for admin clients and manages users' tokens, while the operator sets client flags and
 * purges tokens with the command line (README: Command line), which calls the same services.
 */
describe('OAuth2AdminControllerTest (Kustvakt)', () => {
  let w: KustvaktWorld;
  const username = 'OAuth2AdminControllerTest';

  before(async () => {
    w = await startKustvaktWorld();
    await addResourceServer(w);
  });
  after(() => w.close());

  it('testCleanExpiredTokensUsingAdminToken', {
    skip: 'does not apply: no admin token and no token/clean route; expired and revoked tokens are purged hourly and by `tokens purge` (CLI)',
  });

  it('testCleanRevokedTokens', {
    skip: 'does not apply: no token/clean route; revoked tokens are purged hourly and by `tokens purge` (CLI)',
  });

  it('testUpdateClientPrivilege — differs: the operator sets the super flag (CLI `clients grant`), not an admin user over HTTP', async () => {
    const userAuthHeader = await w.userBasic('dory');
    // register a client
    const response = await registerConfidentialClient(w, username);
    assert.equal(response.status, 200, response.text);
    const { client_id: clientId, client_secret: clientSecret } = response.body as {
      client_id: string;
      client_secret: string;
    };
    // request an access token
    const code = await requestAuthorizationCode(w, clientId, userAuthHeader);
    const token = await w.t
      .http()
      .post(w.api('oauth2/token'))
      .set('Authorization', basicAuth(clientId, clientSecret))
      .type('form')
      .send({ grant_type: 'authorization_code', client_id: clientId, code });
    assert.equal(token.status, 200, token.text);
    const accessToken = (token.body as { access_token: string }).access_token;
    // update client privilege to super client
    await testUpdateClientPriviledgeUnauthorized(clientId);
    await w.t.get(ClientsService).setFlag(clientId, 'super', true);
    await testAccessTokenAfterUpgradingClient(clientId, accessToken);
    // degrade a super client to a common client
    await w.t.get(ClientsService).setFlag(clientId, 'super', false);
    await testAccessTokenAfterDegradingSuperClient(clientId, accessToken);
    await deregisterClient(w, username, clientId);
  });

  /** No user, admin or not, can change a client's privileges over HTTP: the route is not served. */
  async function testUpdateClientPriviledgeUnauthorized(clientId: string) {
    for (const user of [username, 'admin']) {
      const response = await w.t
        .http()
        .post(w.api('admin/oauth2/client/privilege'))
        .set('Authorization', await w.userBasic(user))
        .type('form')
        .send({ client_id: clientId, super: 'true' });
      assert.equal(response.status, 404, response.text);
    }
  }

  // old access tokens retain their scopes
  async function testAccessTokenAfterUpgradingClient(clientId: string, accessToken: string) {
    const node = await retrieveClientInfo(w, clientId, 'admin');
    assert.equal(node.super, true);
    // Kustvakt's "list vc" step (scope vc_info not authorized) has no counterpart: tokenvakt
    // serves no virtual corpora, and the token's scope is unchanged (search below).
    // search
    await testSearchWithOAuth2Token(w, accessToken);
  }

  async function testAccessTokenAfterDegradingSuperClient(clientId: string, accessToken: string) {
    const node = await retrieveClientInfo(w, clientId, username);
    assert.equal(node.isSuper, undefined);
    await testSearchWithRevokedAccessToken(w, accessToken);
  }
});
