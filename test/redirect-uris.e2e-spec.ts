import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { digestSecret } from '../src/auth/secrets';
import { AuthorizationCode } from '../src/authorization/authorization-code.entity';
import { Client } from '../src/clients/client.entity';
import { expectDirectAuthorizeError, expectOAuthError } from './support/assertions';
import {
  clientBasic,
  createSuperClient,
  createUser,
  insertClientRow,
  login,
  type TestClient,
  type TokenResponse,
} from './support/factories';
import { bearer, startTestApp, type TestApp } from './support/test-app';

/** Redirect URIs per RFC 9700 §4.1: https or loopback http, no userinfo, canonical form. */
describe('redirect URIs', () => {
  let t: TestApp;
  let session: TokenResponse;

  before(async () => {
    t = await startTestApp();
    session = await login(t, await createSuperClient(t), await createUser(t));
  });
  after(() => t.close());

  const clients = () => t.dataSource.getRepository(Client);

  const register = (redirectUri: string) =>
    t
      .http()
      .post('/oauth2/client/register')
      .set('Authorization', bearer(session.access_token))
      .send({
        name: 'Redirecting app',
        type: 'CONFIDENTIAL',
        description: 'Tests redirect URIs.',
        redirect_uri: redirectUri,
      });

  /** Registers a confidential client with this redirect URI through the API. */
  const registered = async (redirectUri: string): Promise<TestClient> => {
    const res = await register(redirectUri);
    assert.equal(res.status, 200, res.text);
    return { ...(res.body as { client_id: string; client_secret: string }), name: 'app' };
  };

  /** GET /oauth2/authorize for the user's session; `redirect_uri` left out when undefined. */
  const authorize = (client: TestClient, redirectUri?: string) =>
    t
      .http()
      .get('/oauth2/authorize')
      .set('Authorization', bearer(session.access_token))
      .query({
        response_type: 'code',
        client_id: client.client_id,
        scope: 'search',
        state: 's1',
        ...(redirectUri === undefined ? {} : { redirect_uri: redirectUri }),
      });

  /** The Location of a 302 with a code, and the code. */
  const redirected = (res: Response): { location: string; code: string } => {
    assert.equal(res.status, 302, res.text);
    const location = res.headers.location as string;
    const code = new URL(location).searchParams.get('code');
    assert.ok(code, location);
    return { location, code };
  };

  const exchange = (client: TestClient, code: string, redirectUri?: string) =>
    t
      .http()
      .post('/oauth2/token')
      .set('Authorization', clientBasic(client))
      .type('form')
      .send({
        grant_type: 'authorization_code',
        code,
        ...(redirectUri === undefined ? {} : { redirect_uri: redirectUri }),
      });

  describe('registration', () => {
    for (const [what, uri] of [
      ['plain http on a host that is not loopback', 'http://app.example/cb'],
      ['plain http on a name that starts like localhost', 'http://localhost.evil.example/cb'],
      ['plain http on another 127/8 address', 'http://127.0.0.2/cb'],
      ['a user name and password', 'https://user:pw@app.example/cb'],
      ['a user name that looks like the host', 'https://app.example@evil.example/cb'],
      ['a fragment', 'https://app.example/cb#done'],
      ['an empty fragment', 'https://app.example/cb#'],
      ['a canonical form over 2000 characters', `https://app.example/${'a b'.repeat(600)}`],
    ] as const) {
      it(`refuses a redirect_uri with ${what}: 400 invalid_request, nothing registered`, async () => {
        const before = await clients().count();
        expectOAuthError(await register(uri), 400, 'invalid_request');
        assert.equal(await clients().count(), before);
      });
    }

    it('accepts https and loopback http, and stores and shows the canonical form', async () => {
      for (const [uri, canonical] of [
        ['HTTPS://App.Example:443/cb?x=1', 'https://app.example/cb?x=1'],
        ['http://127.0.0.1:18399', 'http://127.0.0.1:18399/'],
        ['http://[0:0:0:0:0:0:0:1]:8080/cb', 'http://[::1]:8080/cb'],
        ['http://LOCALHOST/cb', 'http://localhost/cb'],
      ] as const) {
        const client = await registered(uri);
        assert.equal(
          (await clients().findOneByOrFail({ id: client.client_id })).redirectUri,
          canonical,
        );
      }
    });
  });

  it('redirects to the canonical form and accepts it at the exchange, with or without the slash (openid-client)', async () => {
    const client = await registered('http://127.0.0.1:18399');
    for (const sentAtExchange of ['http://127.0.0.1:18399/', 'http://127.0.0.1:18399']) {
      const { location, code } = redirected(await authorize(client, 'http://127.0.0.1:18399'));
      assert.match(location, /^http:\/\/127\.0\.0\.1:18399\/\?code=tvc_/);
      const row = await t.dataSource
        .getRepository(AuthorizationCode)
        .findOneByOrFail({ digest: digestSecret(code) });
      assert.equal(row.redirectUri, 'http://127.0.0.1:18399/');
      const res = await exchange(client, code, sentAtExchange);
      assert.equal(res.status, 200, `${sentAtExchange}: ${res.text}`);
    }
    // The authorization request may name it in either spelling too.
    redirected(await authorize(client, 'http://127.0.0.1:18399/'));
    // What cannot be parsed is refused, never a server error.
    expectDirectAuthorizeError(
      await authorize(client, 'http://[oops'),
      400,
      'invalid_request',
      's1',
    );
    const { code } = redirected(await authorize(client, 'http://127.0.0.1:18399'));
    expectOAuthError(await exchange(client, code, 'http://[oops'), 400, 'invalid_grant');
  });

  it('keeps a client registered before these rules working: plain http, not canonical', async () => {
    const secret = 'tvs_legacy-client-secret';
    const stored = 'http://Legacy.Example:80/cb';
    const id = await insertClientRow(t, {
      redirectUri: stored,
      secretDigest: digestSecret(secret),
    });
    const client: TestClient = { client_id: id, client_secret: secret, name: 'legacy' };

    for (const [atAuthorize, atExchange] of [
      [undefined, undefined],
      [stored, stored],
      [stored, 'http://legacy.example/cb'],
      ['http://legacy.example/cb', stored],
    ] as const) {
      const { location, code } = redirected(await authorize(client, atAuthorize));
      assert.match(location, /^http:\/\/legacy\.example\/cb\?code=tvc_/);
      const res = await exchange(client, code, atExchange);
      assert.equal(res.status, 200, `${atAuthorize} then ${atExchange}: ${res.text}`);
    }
    expectDirectAuthorizeError(
      await authorize(client, 'http://legacy.example/other'),
      400,
      'invalid_request',
      's1',
    );
  });
});
