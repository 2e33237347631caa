import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestSecret } from '../../src/auth/secrets';
import { basicAuth } from '../support/test-app';
import { insertClientRow, pkcePair } from '../support/factories';
import {
  KUSTVAKT,
  locationParams,
  startKustvaktWorld,
  type KustvaktWorld,
} from './kustvakt-fixture';

/**
 * Kustvakt's OAuth2RClientTest against tokenvakt: an R client (httr's local web server at
 * http://localhost:1410) registered, authorized, redeemed and deregistered. Kustvakt's search
 * API is not tokenvakt's: the search backend checks tokens with tokenvakt's introspection, so
 * testSearchWithOAuth2Token becomes "active" there and testSearchWithRevokedAccessToken
 * "inactive".
 */
describe('OAuth2RClientTest (Kustvakt)', () => {
  const username = 'OAuth2ClientControllerTest';
  const resourceServer = { id: 'krill-search', secret: 'search-secret' };
  let w: KustvaktWorld;
  let userAuthHeader: string;

  before(async () => {
    w = await startKustvaktWorld();
    userAuthHeader = await w.userBasic('R-user');
    await insertClientRow(w.t, {
      id: resourceServer.id,
      secretDigest: digestSecret(resourceServer.secret),
      mayIntrospect: true,
    });
  });
  after(() => w.close());

  const createOAuth2RClient = () => ({
    name: 'R client',
    type: 'PUBLIC',
    description: 'An R client with httr web server.',
    redirect_uri: 'http://localhost:1410',
  });

  /** The search backend's check of a bearer token: introspection (RFC 7662). */
  const introspect = async (token: string): Promise<boolean> => {
    const res = await w.t
      .http()
      .post(w.api('oauth2/introspect'))
      .set('Authorization', basicAuth(resourceServer.id, resourceServer.secret))
      .type('form')
      .send({ token });
    assert.equal(res.status, 200, res.text);
    return res.body.active as boolean;
  };

  /** testAuthorize: a code at http://localhost:1410, through PKCE (S256). */
  const testAuthorize = async (clientId: string, challenge: string): Promise<string> => {
    const request = (extra: Record<string, string>) =>
      w.t
        .http()
        .get(w.api('oauth2/authorize'))
        .query({ response_type: 'code', client_id: clientId, scope: 'search', ...extra })
        .set('Authorization', userAuthHeader)
        .redirects(0);
    // Without PKCE, as Kustvakt's test asks: the error goes back to the R client.
    const refused = await request({});
    assert.equal(refused.status, 302);
    assert.equal(locationParams(refused.headers.location).get('error'), 'invalid_request');

    const res = await request({ code_challenge: challenge, code_challenge_method: 'S256' });
    assert.equal(res.status, 302);
    const redirectUri = new URL(res.headers.location as string);
    assert.equal(redirectUri.protocol, 'http:');
    assert.equal(redirectUri.hostname, 'localhost');
    assert.equal(redirectUri.port, '1410');
    const code = redirectUri.searchParams.get('code');
    assert.ok(code);
    return code;
  };

  it('testRClientWithLocalhost — differs: public clients must use PKCE (PKCE_REQUIRED=public); search checked by introspection', async () => {
    // Register client
    let res = await w.t
      .http()
      .post(w.api('oauth2/client/register'))
      .set('Authorization', await w.userBasic(username))
      .set('X-Forwarded-For', KUSTVAKT.forwardedFor)
      .send(createOAuth2RClient());
    assert.equal(res.status, 200, res.text);
    const clientId = res.body.client_id as string;
    // send authorization
    const pkce = pkcePair();
    const code = await testAuthorize(clientId, pkce.challenge);
    // send token request
    res = await w.t.http().post(w.api('oauth2/token')).type('form').send({
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      code_verifier: pkce.verifier,
    });
    assert.equal(res.status, 200, res.text);
    // testing
    const accessToken = res.body.access_token as string;
    assert.equal(await introspect(accessToken), true);
    // cleaning up
    const deregistered = await w.t
      .http()
      .delete(w.api(`oauth2/client/deregister/${clientId}`))
      .set('Authorization', await w.userBasic(username));
    assert.equal(deregistered.status, 200, deregistered.text);
    assert.equal(await introspect(accessToken), false);
  });
});
