import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { digestSecret } from '../src/auth/secrets';
import { Token } from '../src/tokens/token.entity';
import {
  authorizeAndExchange,
  authorizeCode,
  clientBasic,
  createClient,
  createSuperClient,
  createUser,
  foreignJwt,
  listTokens,
  login,
  type TestClient,
  type TestUser,
  type TokenResponse,
} from './support/factories';
import { basicAuth, bearer, startTestApp, type TestApp } from './support/test-app';
import { expectOAuthError as expectError } from './support/assertions';

interface Introspection {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: string;
  exp?: number;
  iat?: number;
  sub?: string;
}

interface ListEntry {
  token: string;
  client_id: string;
  last_used_at: string | null;
}

const ACTIVE_KEYS = ['active', 'client_id', 'exp', 'iat', 'scope', 'sub', 'token_type', 'username'];

describe('POST /oauth2/introspect (RFC 7662)', () => {
  let t: TestApp;
  let superClient: TestClient;
  /** A resource server: a confidential client with the introspect flag. */
  let rs: TestClient;
  let pdf: TestClient;
  let script: TestClient;
  let alice: TestUser;
  let aliceSession: TokenResponse;
  let issued: TokenResponse;

  before(async () => {
    t = await startTestApp();
    superClient = await createSuperClient(t);
    rs = await createClient(t, {
      name: 'Resource server',
      redirectUri: undefined,
      mayIntrospect: true,
    });
    pdf = await createClient(t, { name: 'EasyPDF Exporter' });
    script = await createClient(t, { name: 'Query script', type: 'PUBLIC' });
    alice = await createUser(t);
    aliceSession = await login(t, superClient, alice);
    issued = await authorizeAndExchange(t, { session: aliceSession, client: pdf });
  });
  after(() => t.close());

  /** Introspects with client_secret_basic of `client` (the resource server by default). */
  const introspect = (token: string, client: TestClient = rs) =>
    t
      .http()
      .post('/oauth2/introspect')
      .set('Authorization', clientBasic(client))
      .type('form')
      .send({ token });

  const tokenRepo = () => t.dataSource.getRepository(Token);
  const rowOf = (raw: string): Promise<Token> =>
    tokenRepo().findOneByOrFail({ digest: digestSecret(raw) });

  const expectActive = (res: Response): Introspection => {
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.body as Introspection;
    assert.equal(body.active, true, res.text);
    return body;
  };

  const expectInactive = (res: Response, what: string): void => {
    assert.equal(res.status, 200, `${what}: ${res.status} ${res.text}`);
    assert.equal(res.headers['cache-control'], 'no-store', what);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.body, { active: false }, `${what}: ${res.text}`);
  };

  const sec = (d: Date): number => Math.floor(d.getTime() / 1000);

  describe('active tokens', () => {
    it('describes a live access token to a resource server (client_secret_post)', async () => {
      const res = await t.http().post('/oauth2/introspect').type('form').send({
        token: issued.access_token,
        client_id: rs.client_id,
        client_secret: rs.client_secret,
      });
      const body = expectActive(res);
      assert.equal(res.headers.pragma, 'no-cache');
      assert.deepEqual(Object.keys(body).sort(), ACTIVE_KEYS);
      assert.deepEqual(body.scope?.split(' ').sort(), ['match_info', 'search']);
      assert.equal(body.client_id, pdf.client_id);
      assert.equal(body.username, alice.username);
      assert.equal(body.sub, alice.username);
      assert.equal(body.token_type, 'Bearer');
      assert.ok(Number.isInteger(body.exp) && Number.isInteger(body.iat));
      const row = await rowOf(issued.access_token);
      assert.equal(body.exp, sec(row.expiresAt));
      assert.equal(body.iat, sec(row.createdAt));
      assert.equal((body.exp ?? 0) - (body.iat ?? 0), 86_400);
      const now = Date.now() / 1000;
      assert.ok((body.iat ?? 0) <= now + 1 && (body.iat ?? 0) >= now - 120);
    });

    it('lets a resource server introspect it, with Basic', async () => {
      const body = expectActive(await introspect(issued.access_token));
      assert.equal(body.client_id, pdf.client_id);
      assert.equal(body.username, alice.username);
      assert.equal(body.token_type, 'Bearer');
    });

    it('describes a live refresh token with token_type "refresh_token"', async () => {
      assert.ok(issued.refresh_token);
      const body = expectActive(await introspect(issued.refresh_token));
      assert.deepEqual(Object.keys(body).sort(), ACTIVE_KEYS);
      assert.equal(body.token_type, 'refresh_token');
      assert.equal(body.client_id, pdf.client_id);
      assert.equal(body.username, alice.username);
      assert.equal(body.sub, alice.username);
      const row = await rowOf(issued.refresh_token);
      assert.equal(body.exp, sec(row.expiresAt));
      assert.equal(body.iat, sec(row.createdAt));
    });

    it('describes a client-credentials token without username, with the client as sub', async () => {
      const cc = await t
        .http()
        .post('/oauth2/token')
        .set('Authorization', clientBasic(pdf))
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'search' });
      assert.equal(cc.status, 200, cc.text);
      const token = (cc.body as TokenResponse).access_token;
      const body = expectActive(await introspect(token));
      assert.deepEqual(
        Object.keys(body).sort(),
        ACTIVE_KEYS.filter((k) => k !== 'username'),
      );
      assert.equal(body.sub, pdf.client_id);
      assert.equal(body.client_id, pdf.client_id);
      assert.equal(body.scope, 'search');
      assert.equal(body.token_type, 'Bearer');
      const row = await rowOf(token);
      assert.equal(body.exp, sec(row.expiresAt));
      assert.equal(body.iat, sec(row.createdAt));
    });

    it("describes a public client's long-lived access token and the super client's session", async () => {
      const pub = await authorizeAndExchange(t, { session: aliceSession, client: script });
      const body = expectActive(await introspect(pub.access_token));
      assert.equal(body.client_id, script.client_id);
      assert.equal((body.exp ?? 0) - (body.iat ?? 0), 365 * 86_400);
      const session = expectActive(await introspect(aliceSession.access_token));
      assert.equal(session.client_id, superClient.client_id);
      assert.equal(session.scope, 'all');
      assert.equal(session.username, alice.username);
    });

    it('finds the token whatever token_type_hint says (RFC 7662 §2.1)', async () => {
      for (const [token, hint] of [
        [issued.access_token, 'refresh_token'],
        [issued.refresh_token ?? '', 'access_token'],
      ] as const) {
        const res = await t
          .http()
          .post('/oauth2/introspect')
          .set('Authorization', clientBasic(rs))
          .type('form')
          .send({ token, token_type_hint: hint });
        expectActive(res);
      }
    });

    it('is served under /api/v1.0/ and /api/v1.1/', async () => {
      for (const prefix of ['/api/v1.0', '/api/v1.1']) {
        const res = await t
          .http()
          .post(`${prefix}/oauth2/introspect`)
          .set('Authorization', clientBasic(rs))
          .type('form')
          .send({ token: issued.access_token });
        expectActive(res);
      }
    });
  });

  describe('dead tokens answer exactly {"active":false}', () => {
    it('an unknown token and random strings', async () => {
      for (const token of [
        `tva_${randomBytes(32).toString('base64url')}`,
        `tvr_${randomBytes(32).toString('base64url')}`,
        randomBytes(16).toString('base64url'),
        'not-a-token',
        'x',
      ]) {
        expectInactive(await introspect(token), token);
      }
    });

    it("another issuer's 780-character JWT (RFC 7662 §2.2), not 400", async () => {
      expectInactive(await introspect(foreignJwt(780)), 'a foreign JWT');
    });

    it('a token handle (never a credential) and an authorization code', async () => {
      const row = await rowOf(issued.access_token);
      expectInactive(await introspect(row.handle), 'handle');
      const code = await authorizeCode(t, { session: aliceSession, client: pdf });
      expectInactive(await introspect(code), 'authorization code');
    });

    it('an expired access token and an expired refresh token', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const tokens = await authorizeAndExchange(t, { session, client: pdf });
      assert.ok(tokens.refresh_token);
      expectActive(await introspect(tokens.access_token));
      const past = new Date(Date.now() - 1000);
      await tokenRepo().update(
        { username: user.username, clientId: pdf.client_id },
        { expiresAt: past },
      );
      expectInactive(await introspect(tokens.access_token), 'expired access token');
      expectInactive(await introspect(tokens.refresh_token), 'expired refresh token');
    });

    it('tokens revoked via /oauth2/revoke', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const first = await authorizeAndExchange(t, { session, client: pdf });
      const second = await authorizeAndExchange(t, { session, client: pdf });
      const revoke = (token: string) =>
        t.http().post('/oauth2/revoke').set('Authorization', clientBasic(pdf)).type('form').send({
          token,
        });
      assert.equal((await revoke(first.access_token)).status, 200);
      expectInactive(await introspect(first.access_token), 'revoked access token');
      expectActive(await introspect(first.refresh_token ?? ''));
      // Revoking a refresh token takes its access token along.
      assert.equal((await revoke(second.refresh_token ?? '')).status, 200);
      expectInactive(await introspect(second.refresh_token ?? ''), 'revoked refresh token');
      expectInactive(await introspect(second.access_token), 'access token of a revoked refresh');
    });

    it('a token revoked by the user through the super client', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const tokens = await authorizeAndExchange(t, { session, client: pdf });
      const res = await t
        .http()
        .post('/oauth2/revoke/super')
        .set('Authorization', bearer(session.access_token))
        .type('form')
        .send({
          super_client_id: superClient.client_id,
          super_client_secret: superClient.client_secret,
          token: tokens.access_token,
        });
      assert.equal(res.status, 200, res.text);
      expectInactive(await introspect(tokens.access_token), 'revoked by the user');
    });

    it('a rotated refresh token and the access token issued with it', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const tokens = await authorizeAndExchange(t, { session, client: pdf });
      const rotated = await t
        .http()
        .post('/oauth2/token')
        .set('Authorization', clientBasic(pdf))
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
      assert.equal(rotated.status, 200, rotated.text);
      const fresh = rotated.body as TokenResponse;
      expectInactive(await introspect(tokens.refresh_token ?? ''), 'rotated refresh token');
      expectInactive(await introspect(tokens.access_token), 'access token of a rotation');
      expectActive(await introspect(fresh.access_token));
      expectActive(await introspect(fresh.refresh_token ?? ''));
    });

    it("the tokens of a replayed code's family", async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const code = await authorizeCode(t, { session, client: pdf });
      const exchange = () =>
        t.http().post('/oauth2/token').set('Authorization', clientBasic(pdf)).type('form').send({
          grant_type: 'authorization_code',
          code,
        });
      const first = await exchange();
      assert.equal(first.status, 200, first.text);
      const tokens = first.body as TokenResponse;
      expectActive(await introspect(tokens.access_token));
      const replay = await exchange();
      expectError(replay, 400, 'invalid_grant');
      expectInactive(
        await introspect(tokens.access_token),
        "access token of a replayed code's family",
      );
      expectInactive(
        await introspect(tokens.refresh_token ?? ''),
        "refresh token of a replayed code's family",
      );
    });
  });

  describe('errors', () => {
    it('refuses a public client with 401 invalid_client', async () => {
      const res = await t
        .http()
        .post('/oauth2/introspect')
        .type('form')
        .send({ token: issued.access_token, client_id: script.client_id });
      expectError(res, 401, 'invalid_client');
    });

    it('refuses a wrong secret with 401 invalid_client (post and Basic)', async () => {
      const victim = await createClient(t, { name: 'Wrong secret target' });
      const post = await t
        .http()
        .post('/oauth2/introspect')
        .type('form')
        .send({ token: issued.access_token, client_id: victim.client_id, client_secret: 'wrong' });
      expectError(post, 401, 'invalid_client');
      const basic = await t
        .http()
        .post('/oauth2/introspect')
        .set('Authorization', basicAuth(victim.client_id, 'wrong'))
        .type('form')
        .send({ token: issued.access_token });
      expectError(basic, 401, 'invalid_client');
      assert.equal(basic.headers['www-authenticate'], 'Basic realm="tokenvakt"');
    });

    it('refuses an unknown client and no client authentication with 401 invalid_client', async () => {
      const unknown = await t
        .http()
        .post('/oauth2/introspect')
        .type('form')
        .send({
          token: issued.access_token,
          client_id: `no-such-${randomBytes(4).toString('hex')}`,
          client_secret: 'x',
        });
      expectError(unknown, 401, 'invalid_client');
      const none = await t
        .http()
        .post('/oauth2/introspect')
        .type('form')
        .send({ token: issued.access_token });
      expectError(none, 401, 'invalid_client');
    });

    it('refuses a confidential client without the introspect flag with 403 unauthorized_client, before the token', async () => {
      // Neither the client the token was issued to nor any other confidential client may probe
      // tokens, a super client's session included, unless an operator made it a resource server.
      for (const [client, token] of [
        [pdf, issued.access_token],
        [pdf, aliceSession.access_token],
        [superClient, aliceSession.access_token],
      ] as const) {
        expectError(await introspect(token, client), 403, 'unauthorized_client');
      }
      // The flag is checked before `token` is required.
      const missing = await t
        .http()
        .post('/oauth2/introspect')
        .set('Authorization', clientBasic(pdf))
        .type('form')
        .send({});
      expectError(missing, 403, 'unauthorized_client');
    });

    it('refuses a missing token with 400 invalid_request', async () => {
      const res = await t
        .http()
        .post('/oauth2/introspect')
        .set('Authorization', clientBasic(rs))
        .type('form')
        .send({});
      expectError(res, 400, 'invalid_request');
    });

    it('refuses a JSON body with 415', async () => {
      const res = await t
        .http()
        .post('/oauth2/introspect')
        .set('Authorization', clientBasic(rs))
        .type('json')
        .send({ token: issued.access_token });
      expectError(res, 415);
    });
  });

  describe('last_used_at', () => {
    it('is set by introspection, at most once a minute', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const tokens = await authorizeAndExchange(t, { session, client: pdf });
      const entry = async (): Promise<ListEntry> => {
        const res = await listTokens(t, superClient, bearer(session.access_token), {
          client_id: pdf.client_id,
        });
        assert.equal(res.status, 200, res.text);
        const [only] = res.body as ListEntry[];
        assert.ok(only);
        return only;
      };
      assert.equal((await rowOf(tokens.access_token)).lastUsedAt, null);
      assert.equal((await entry()).last_used_at, null);

      const before1 = Date.now();
      expectActive(await introspect(tokens.access_token));
      const after1 = Date.now();
      const first = (await rowOf(tokens.access_token)).lastUsedAt;
      assert.ok(first instanceof Date, 'introspection did not set last_used_at');
      assert.ok(first.getTime() >= before1 - 1000 && first.getTime() <= after1 + 1000);
      assert.equal((await entry()).last_used_at, first.toISOString());

      // Within the minute: no write.
      expectActive(await introspect(tokens.access_token));
      const second = (await rowOf(tokens.access_token)).lastUsedAt;
      assert.equal(second?.getTime(), first.getTime());
      assert.equal((await entry()).last_used_at, first.toISOString());

      // Two minutes later (moved in the database): updated again.
      const moved = new Date(Date.now() - 120_000);
      const row = await rowOf(tokens.access_token);
      await tokenRepo().update({ handle: row.handle }, { lastUsedAt: moved });
      const before3 = Date.now();
      expectActive(await introspect(tokens.access_token));
      const third = (await rowOf(tokens.access_token)).lastUsedAt;
      assert.ok(third instanceof Date);
      assert.ok(third.getTime() > moved.getTime() + 60_000);
      assert.ok(third.getTime() >= before3 - 1000);
      assert.equal((await entry()).last_used_at, third.toISOString());
    });

    it("counts only a resource server's introspection as a use", async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const tokens = await authorizeAndExchange(t, { session, client: pdf });
      for (const token of [tokens.access_token, session.access_token]) {
        // Last used two minutes ago, so that a use now is written.
        const earlier = new Date(Date.now() - 120_000);
        await tokenRepo().update({ handle: (await rowOf(token)).handle }, { lastUsedAt: earlier });
        expectError(await introspect(token, pdf), 403, 'unauthorized_client');
        const unchanged = (await rowOf(token)).lastUsedAt;
        assert.equal(unchanged?.getTime(), earlier.getTime(), 'a refused introspection wrote');
        const before = Date.now();
        expectActive(await introspect(token, rs));
        const used = (await rowOf(token)).lastUsedAt;
        assert.ok(used instanceof Date, "a resource server's introspection did not count");
        assert.ok(used.getTime() >= before - 1000 && used.getTime() <= Date.now() + 1000);
      }
    });

    it("is set on a super client's session token used as a bearer", async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      assert.equal((await rowOf(session.access_token)).lastUsedAt, null);
      const before1 = Date.now();
      const res = await listTokens(t, superClient, bearer(session.access_token));
      assert.equal(res.status, 200, res.text);
      const used = (await rowOf(session.access_token)).lastUsedAt;
      assert.ok(used instanceof Date, 'using the session as a bearer did not set last_used_at');
      assert.ok(used.getTime() >= before1 - 1000 && used.getTime() <= Date.now() + 1000);
    });
  });
});

describe('GET /.well-known/oauth-authorization-server (RFC 8414)', () => {
  interface Metadata {
    issuer: string;
    authorization_endpoint: string;
    token_endpoint: string;
    revocation_endpoint: string;
    introspection_endpoint: string;
    scopes_supported: string[];
    response_types_supported: string[];
    grant_types_supported: string[];
    code_challenge_methods_supported: string[];
    token_endpoint_auth_methods_supported: string[];
    introspection_endpoint_auth_methods_supported?: string[];
    authorization_response_iss_parameter_supported?: boolean;
  }

  const fetchMetadata = async (t: TestApp): Promise<Metadata> => {
    const res = await t.http().get('/.well-known/oauth-authorization-server');
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    return res.body as Metadata;
  };

  describe('with the default configuration', () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp();
    });
    after(() => t.close());

    it('names the default issuer, without a trailing slash, and its endpoints', async () => {
      const m = await fetchMetadata(t);
      assert.equal(m.issuer, 'http://127.0.0.1:8089');
      assert.equal(m.authorization_endpoint, 'http://127.0.0.1:8089/oauth2/authorize');
      assert.equal(m.token_endpoint, 'http://127.0.0.1:8089/oauth2/token');
      assert.equal(m.revocation_endpoint, 'http://127.0.0.1:8089/oauth2/revoke');
      assert.equal(m.introspection_endpoint, 'http://127.0.0.1:8089/oauth2/introspect');
    });

    it('lists what tokenvakt supports', async () => {
      const m = await fetchMetadata(t);
      assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(m.response_types_supported, ['code']);
      assert.deepEqual([...m.grant_types_supported].sort(), [
        'authorization_code',
        'client_credentials',
        'password',
        'refresh_token',
      ]);
      for (const method of ['client_secret_basic', 'client_secret_post', 'none']) {
        assert.ok(m.token_endpoint_auth_methods_supported.includes(method), method);
      }
      assert.ok(m.scopes_supported.includes('all'));
      assert.ok(m.scopes_supported.includes('search'));
      // Introspection is for confidential clients only.
      assert.ok(!(m.introspection_endpoint_auth_methods_supported ?? []).includes('none'));
      // Every authorization response carries iss (RFC 9207 §3).
      assert.equal(m.authorization_response_iss_parameter_supported, true);
    });

    it('is not served under a path when ISSUER has none', async () => {
      const res = await t.http().get('/.well-known/oauth-authorization-server/tokenvakt');
      expectError(res, 404, 'not_found');
    });

    it('needs no authentication', async () => {
      const res = await t
        .http()
        .get('/.well-known/oauth-authorization-server')
        .set('Authorization', bearer('tva_nonsense'));
      assert.equal(res.status, 200);
    });
  });

  describe('with ISSUER set', () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ ISSUER: 'https://auth.example.org' });
    });
    after(() => t.close());

    it('uses ISSUER as the issuer and the base of every endpoint', async () => {
      const m = await fetchMetadata(t);
      assert.equal(m.issuer, 'https://auth.example.org');
      assert.equal(m.authorization_endpoint, 'https://auth.example.org/oauth2/authorize');
      assert.equal(m.token_endpoint, 'https://auth.example.org/oauth2/token');
      assert.equal(m.revocation_endpoint, 'https://auth.example.org/oauth2/revoke');
      assert.equal(m.introspection_endpoint, 'https://auth.example.org/oauth2/introspect');
    });
  });

  describe('with an ISSUER that has a path (RFC 8414 §3.1)', () => {
    const ISSUER = 'https://korap.example/tokenvakt';
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ ISSUER });
    });
    after(() => t.close());

    it('serves the metadata with the path after the well-known segment, and without it', async () => {
      const suffixed = await t.http().get('/.well-known/oauth-authorization-server/tokenvakt');
      assert.equal(suffixed.status, 200, suffixed.text);
      assert.match(String(suffixed.headers['content-type']), /^application\/json/);
      const m = suffixed.body as Metadata;
      assert.equal(m.issuer, ISSUER);
      assert.equal(m.token_endpoint, `${ISSUER}/oauth2/token`);
      assert.deepEqual(await fetchMetadata(t), m);
    });

    it('answers 404 with the JSON error for any other path under it', async () => {
      for (const path of ['other', 'tokenvakt/x', 'tokenvakt/', '', 'TOKENVAKT']) {
        const res = await t.http().get(`/.well-known/oauth-authorization-server/${path}`);
        expectError(res, 404, 'not_found');
      }
    });
  });
});
