import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { expectOAuthError as expectError } from './support/assertions';
import {
  clientBasic,
  createClient,
  createSuperClient,
  createUser,
  listTokens,
  postForm,
  type TestClient,
  type TestUser,
} from './support/factories';
import { basicAuth, bearer, startTestApp, type TestApp } from './support/test-app';

const BASIC = 'Basic realm="tokenvakt"';
const BEARER = 'Bearer realm="tokenvakt"';

/**
 * RFC 9110 §15.5.2: every 401 carries a WWW-Authenticate challenge, and it names the scheme
 * the caller tried: Basic for client authentication (header or form body) and for Basic user
 * credentials, Bearer for bearer tokens and when nothing was presented.
 */
describe('every 401 carries a WWW-Authenticate challenge that fits the attempt', () => {
  let t: TestApp;
  let superClient: TestClient;
  let client: TestClient;
  let publicClient: TestClient;
  let admin: TestClient;
  let alice: TestUser;

  before(async () => {
    t = await startTestApp();
    superClient = await createSuperClient(t);
    client = await createClient(t);
    publicClient = await createClient(t, { type: 'PUBLIC' });
    admin = await createClient(t, { isAdmin: true, redirectUri: undefined });
    alice = await createUser(t);
  });
  after(() => t.close());

  function expectChallenge(res: Response, code: string, challenge: string): void {
    expectError(res, 401, code);
    assert.equal(res.headers['www-authenticate'], challenge);
  }

  const wrong = `tvs_${randomBytes(32).toString('base64url')}`;
  const superForm = (secret = superClient.client_secret) => ({
    super_client_id: superClient.client_id,
    super_client_secret: secret,
  });

  describe('client authentication: Basic, also for credentials in the form body', () => {
    for (const path of ['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect']) {
      it(`${path}: a wrong client_secret in the form`, async () => {
        const res = await postForm(t, path, undefined, {
          grant_type: 'client_credentials',
          scope: 'search',
          token: 'x',
          client_id: client.client_id,
          client_secret: wrong,
        });
        expectChallenge(res, 'invalid_client', BASIC);
      });

      it(`${path}: a wrong secret in the Authorization header`, async () => {
        const res = await postForm(t, path, basicAuth(client.client_id, wrong), {
          grant_type: 'client_credentials',
          token: 'x',
        });
        expectChallenge(res, 'invalid_client', BASIC);
      });

      it(`${path}: no client authentication at all`, async () => {
        const res = await postForm(t, path, undefined, {
          grant_type: 'client_credentials',
          token: 'x',
        });
        expectChallenge(res, 'invalid_client', BASIC);
      });
    }

    it('/oauth2/token: an unknown client_id without a secret', async () => {
      const res = await postForm(t, '/oauth2/token', undefined, {
        grant_type: 'authorization_code',
        code: 'x',
        client_id: `${publicClient.client_id}x`,
      });
      expectChallenge(res, 'invalid_client', BASIC);
    });

    it('super-client services: a wrong super_client_secret in the form', async () => {
      const res = await postForm(t, '/oauth2/token/list', alice.basic, {
        ...superForm(wrong),
        token_type: 'access_token',
      });
      expectChallenge(res, 'invalid_client', BASIC);
    });

    it('admin API: wrong admin client credentials', async () => {
      const res = await t
        .http()
        .get(`/admin/users/${alice.username}/tokens`)
        .set('Authorization', basicAuth(admin.client_id, wrong));
      expectChallenge(res, 'invalid_client', BASIC);
    });

    it('authorize: an unknown client_id', async () => {
      const res = await t
        .http()
        .get('/oauth2/authorize')
        .set('Authorization', alice.basic)
        .query({ response_type: 'code', client_id: 'nosuchclient', scope: 'search' });
      expectChallenge(res, 'invalid_client', BASIC);
    });
  });

  describe('user authentication', () => {
    it('Basic with a wrong password: Basic', async () => {
      const res = await listTokens(t, superClient, basicAuth(alice.username, 'wrong'));
      expectChallenge(res, 'invalid_token', BASIC);
    });

    it('undecodable Basic credentials: Basic', async () => {
      expectChallenge(await listTokens(t, superClient, 'Basic !!!'), 'invalid_token', BASIC);
    });

    it('an unknown bearer token: Bearer', async () => {
      const res = await listTokens(
        t,
        superClient,
        bearer(`tva_${randomBytes(32).toString('base64url')}`),
      );
      expectChallenge(res, 'invalid_token', BEARER);
    });

    it('nothing presented: Bearer', async () => {
      const res = await postForm(t, '/oauth2/token/list', undefined, {
        ...superForm(),
        token_type: 'access_token',
      });
      expectChallenge(res, 'invalid_token', BEARER);
    });

    it('the control case: the right credentials get no challenge', async () => {
      const res = await postForm(t, '/oauth2/token', clientBasic(client), {
        grant_type: 'client_credentials',
        scope: 'search',
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers['www-authenticate'], undefined);
    });
  });
});
