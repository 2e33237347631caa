import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import {
  KUSTVAKT,
  locationParams,
  startKustvaktWorld,
  type KustvaktWorld,
} from './kustvakt-fixture';

/**
 * Kustvakt's OAuth2AuthorizationPostTest against tokenvakt: the deprecated POST form of the
 * authorization request, which Kalamar up to 0.64 sends. Served on API v1.0 only, as by
 * Kustvakt (README: Running KorAP's Kalamar against tokenvakt).
 */
describe('OAuth2AuthorizationPostTest (Kustvakt)', () => {
  let w: KustvaktWorld;
  let userAuthHeader: string;

  before(async () => {
    w = await startKustvaktWorld();
    userAuthHeader = await w.userBasic('dory');
  });
  after(() => w.close());

  const form = (): Record<string, string> => ({
    response_type: 'code',
    client_id: KUSTVAKT.confidentialClientId,
    state: 'thisIsMyState',
    scope: 'search',
  });

  /** POST <version>/oauth2/authorize with the form, as Kalamar's korap_request sends it. */
  const requestAuthorizationCode = (
    body: Record<string, string>,
    authHeader: string,
    version: string,
  ): Promise<Response> =>
    w.t
      .http()
      .post(w.api('oauth2/authorize', version))
      .set('Authorization', authHeader)
      .set('X-Forwarded-For', KUSTVAKT.forwardedFor)
      .type('form')
      .send(body)
      .redirects(0);

  /** OAuth2TestBase.revokeToken: POST <API_VERSION>/oauth2/revoke with the client's form. */
  const revokeToken = async (token: string, tokenType: string) => {
    const res = await w.t.http().post(w.api('oauth2/revoke')).type('form').send({
      token_type: tokenType,
      token,
      client_id: KUSTVAKT.confidentialClientId,
      client_secret: KUSTVAKT.clientSecret,
    });
    assert.equal(res.status, 200);
    // Kustvakt answers "SUCCESS"; RFC 7009 §2.2 an empty 200.
    assert.equal(res.text, '');
  };

  it('testAuthorizeConfidentialClient', async () => {
    const res = await requestAuthorizationCode(form(), userAuthHeader, KUSTVAKT.API_VERSION);
    assert.equal(res.status, 404);
  });

  it('testAuthorizeConfidentialClientV1_0 — differs: 303 See Other (RFC 9700 §4.12), not 307; revocation answers an empty 200 (RFC 7009), not SUCCESS', async () => {
    const res = await requestAuthorizationCode(form(), userAuthHeader, KUSTVAKT.API_VERSION_V1_0);
    assert.equal(res.status, 303);
    const params = locationParams(res.headers.location);
    assert.ok(params.get('code'));
    assert.equal(params.get('state'), 'thisIsMyState');

    // testRequestTokenAuthorizationConfidential
    const token = await w.t
      .http()
      .post(w.api('oauth2/token'))
      .type('form')
      .send({
        grant_type: 'authorization_code',
        client_id: KUSTVAKT.confidentialClientId,
        client_secret: KUSTVAKT.clientSecret,
        code: params.get('code') ?? '',
      });
    assert.equal(token.status, 200, token.text);
    assert.equal(token.body.token_type, 'Bearer');
    assert.equal(typeof token.body.expires_in, 'number');

    await revokeToken(token.body.access_token as string, 'access_token');
    await revokeToken(token.body.refresh_token as string, 'refresh_token');
  });
});
