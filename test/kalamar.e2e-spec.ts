/**
 * KorAP's Kalamar against tokenvakt, unchanged (README: Running KorAP's Kalamar against
 * tokenvakt). Every request here is one Kalamar sends, as lib/Kalamar/Plugin/Auth.pm builds it:
 *
 * - `korap_request` (token list, client list, authorize, the password login of `POST
 *   /user/login`): under `/api/v1.0/`, with `X-Forwarded-For: <browser>` and, once logged in,
 *   `Authorization: <token_type> <access_token>`; on a 4xx whose `errors/0/1` matches
 *   /expired|invalid/ it drops the session's access token, refreshes, and sends the request
 *   again;
 * - `auth.refresh_p` and the logout route: straight through its user agent, no
 *   X-Forwarded-For and no Authorization, client credentials in the form.
 *
 * and every check is on what Kalamar reads from the answer.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { digestSecret } from '../src/auth/secrets';
import { Token } from '../src/tokens/token.entity';
import { expectDirectAuthorizeError, expectOAuthError } from './support/assertions';
import {
  authorizeAndExchange,
  createClient,
  createSuperClient,
  createUser,
  login,
  type TestClient,
  type TestUser,
} from './support/factories';
import { freePort, startServer } from './support/processes';
import {
  basicAuth,
  bearer,
  freshDatabaseUrl,
  startTestApp,
  type TestApp,
} from './support/test-app';

/** Kalamar's `<api>/`: `$c->korap->api` with Kustvakt's version. */
const API = '/api/v1.0';
/** The browser behind Kalamar, as `$c->client_ip` gives it. */
const BROWSER = '203.0.113.5';

/** What Kalamar keeps in its session cookie after `auth.set_tokens_p`. */
interface KalamarSession {
  /** `auth`: "<token_type> <access_token>", sent as the Authorization header. */
  auth: string;
  /** `auth_r`: the refresh token. */
  auth_r: string;
}

/**
 * What `auth.set_tokens_p` reads from a token response: it rejects a body with `error` or
 * `errors`, and keeps `token_type`, `access_token`, `refresh_token` and `expires_in`.
 */
function kalamarSession(res: Response): KalamarSession {
  assert.equal(res.status, 200, res.text);
  const body = res.body as Record<string, unknown>;
  assert.equal(body.error, undefined);
  assert.equal(body.errors, undefined);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(typeof body.expires_in, 'number');
  assert.match(String(body.access_token), /^tva_/);
  assert.match(String(body.refresh_token), /^tvr_/);
  return { auth: `Bearer ${String(body.access_token)}`, auth_r: String(body.refresh_token) };
}

/** Kalamar's test in `korap_request`: a 4xx whose first legacy error says expired or invalid. */
function kalamarRefreshesOn(res: Response): boolean {
  const errors = (res.body as { errors?: unknown }).errors;
  const first = Array.isArray(errors) && Array.isArray(errors[0]) ? errors[0][1] : undefined;
  return res.status >= 400 && res.status < 500 && /expired|invalid/.test(String(first));
}

/** Kalamar as one super client in front of one tokenvakt. */
function kalamar(t: TestApp, superClient: TestClient) {
  const credentials = {
    client_id: superClient.client_id,
    client_secret: superClient.client_secret ?? '',
  };
  const superFields = {
    super_client_id: superClient.client_id,
    super_client_secret: superClient.client_secret ?? '',
  };
  /**
   * `korap_request`: X-Forwarded-For (`browser`; null leaves the header out, as no Kalamar
   * request does), and the session's Authorization when there is one.
   */
  const korapRequest = (
    path: string,
    form: Record<string, string>,
    session?: { auth: string },
    browser: string | null = BROWSER,
  ) => {
    const req = t.http().post(`${API}${path}`);
    if (browser !== null) req.set('X-Forwarded-For', browser);
    if (session) req.set('Authorization', session.auth);
    return req.type('form').send(form);
  };
  return {
    korapRequest,
    /** `POST /user/login`: the password grant through korap_request. */
    login: (
      user: { username: string; password: string },
      oldSession?: { auth: string },
      browser?: string | null,
    ) =>
      korapRequest(
        '/oauth2/token',
        {
          grant_type: 'password',
          username: user.username,
          password: user.password,
          ...credentials,
        },
        oldSession,
        browser,
      ),
    /** `auth.token_list_p`. */
    tokenList: (session: { auth: string }) =>
      korapRequest('/oauth2/token/list', { ...superFields, token_type: 'access_token' }, session),
    /** `auth.client_list_p`. */
    clientList: (session: { auth: string }) =>
      korapRequest('/oauth2/client/list', { ...superFields, authorized_only: 'no' }, session),
    /** `auth.refresh_p`: kalamar_ua directly, no X-Forwarded-For, no Authorization. */
    refresh: (refreshToken: string) =>
      t
        .http()
        .post(`${API}/oauth2/token`)
        .type('form')
        .send({ grant_type: 'refresh_token', ...credentials, refresh_token: refreshToken }),
    /** The logout route: RFC 7009 revocation of the refresh token, as kalamar_ua sends it. */
    logout: (refreshToken: string) =>
      t
        .http()
        .post(`${API}/oauth2/revoke`)
        .type('form')
        .send({ ...credentials, token: refreshToken, token_type: 'refresh_token' }),
  };
}

/** The token rows of the grant (family) `raw` belongs to. */
async function grantOf(t: TestApp, raw: string): Promise<Token[]> {
  const tokens = t.dataSource.getRepository(Token);
  const row = await tokens.findOneByOrFail({ digest: digestSecret(raw) });
  return tokens.findBy({ familyId: row.familyId });
}

/** Live rows, as `type handle` for a readable failure. */
function live(rows: Token[]): string[] {
  const now = Date.now();
  return rows
    .filter((row) => row.revokedAt === null && row.expiresAt.getTime() > now)
    .map((row) => `${row.type} ${row.handle}`);
}

async function reuseRevocations(t: TestApp): Promise<number> {
  const text = (await t.http().get('/metrics')).text;
  return Number(/^tokenvakt_revocations_total\{cause="reuse"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

const accessTokenOf = (session: KalamarSession) => session.auth.replace(/^Bearer /, '');

describe("Kalamar's dead sessions: Kustvakt's `errors` on /api/v1.x/ (README: Running KorAP's Kalamar)", () => {
  let t: TestApp;
  let superClient: TestClient;
  let k: ReturnType<typeof kalamar>;

  before(async () => {
    t = await startTestApp();
    superClient = await createSuperClient(t);
    k = kalamar(t, superClient);
  });
  after(() => t.close());

  const tokens = () => t.dataSource.getRepository(Token);
  async function loggedIn(): Promise<KalamarSession> {
    return kalamarSession(await k.login(await createUser(t)));
  }
  const expire = (raw: string) =>
    tokens().update({ digest: digestSecret(raw) }, { expiresAt: new Date(Date.now() - 1000) });
  const revokeAccessToken = async (raw: string) => {
    const res = await t
      .http()
      .post('/oauth2/revoke')
      .type('form')
      .send({
        client_id: superClient.client_id,
        client_secret: superClient.client_secret ?? '',
        token: raw,
      });
    assert.equal(res.status, 200, res.text);
  };

  /** The 401 for a dead bearer on a Kustvakt path: RFC 6750 and Kustvakt's words. */
  function expectDeadSession(res: Response, errors: Array<[number, string]>): void {
    assert.equal(res.status, 401, res.text);
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="tokenvakt"');
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = res.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description', 'errors']);
    assert.equal(body.error, 'invalid_token');
    assert.equal(typeof body.error_description, 'string');
    assert.deepEqual(body.errors, errors);
    assert.ok(kalamarRefreshesOn(res));
  }

  /** Kalamar's reaction: refresh_p with the session's refresh token, then the request again. */
  async function refreshAndRetry(
    session: KalamarSession,
    request: (s: KalamarSession) => Promise<Response>,
  ): Promise<void> {
    const refreshed = kalamarSession(await k.refresh(session.auth_r));
    const again = await request(refreshed);
    assert.equal(again.status, 200, again.text);
  }

  it('an expired session: 401 with errors [[2003, "Access token is expired"]] on the token list and the client list; Kalamar refreshes and the new session works', async () => {
    const session = await loggedIn();
    assert.equal((await k.tokenList(session)).status, 200);
    await expire(accessTokenOf(session));
    expectDeadSession(await k.tokenList(session), [[2003, 'Access token is expired']]);
    expectDeadSession(await k.clientList(session), [[2003, 'Access token is expired']]);
    await refreshAndRetry(session, k.tokenList);
  });

  it('a revoked session: 401 with errors [[2011, "Access token is invalid"]]; Kalamar refreshes and the new session works', async () => {
    const session = await loggedIn();
    await revokeAccessToken(accessTokenOf(session));
    expectDeadSession(await k.tokenList(session), [[2011, 'Access token is invalid']]);
    expectDeadSession(await k.clientList(session), [[2011, 'Access token is invalid']]);
    // Revoked and expired: revoked is what Kustvakt says first.
    await expire(accessTokenOf(session));
    expectDeadSession(await k.tokenList(session), [[2011, 'Access token is invalid']]);
    await refreshAndRetry(session, k.clientList);
  });

  it('an unknown token, a refresh token and a handle presented as the bearer: "Access token is invalid", on /api/v1.0/ and /api/v1.1/', async () => {
    const session = await loggedIn();
    const [handle] = (await grantOf(t, session.auth_r)).map((row) => row.handle);
    const invalid: Array<[number, string]> = [[2011, 'Access token is invalid']];
    for (const dead of [
      `tva_${randomBytes(32).toString('base64url')}`,
      session.auth_r,
      handle ?? '',
    ]) {
      expectDeadSession(await k.tokenList({ auth: bearer(dead) }), invalid);
    }
    const v11 = await t
      .http()
      .post('/api/v1.1/oauth2/token/list')
      .set('Authorization', bearer(`tva_${randomBytes(32).toString('base64url')}`))
      .type('form')
      .send({
        super_client_id: superClient.client_id,
        super_client_secret: superClient.client_secret ?? '',
        token_type: 'access_token',
      });
    expectDeadSession(v11, invalid);
    await refreshAndRetry(session, k.tokenList);
  });

  it('without the /api/v1.x/ prefix the same dead sessions get the pure RFC 6750 body', async () => {
    const expired = await loggedIn();
    await expire(accessTokenOf(expired));
    const revoked = await loggedIn();
    await revokeAccessToken(accessTokenOf(revoked));
    for (const dead of [
      accessTokenOf(expired),
      accessTokenOf(revoked),
      `tva_${randomBytes(32).toString('base64url')}`,
    ]) {
      const res = await t
        .http()
        .post('/oauth2/token/list')
        .set('Authorization', bearer(dead))
        .type('form')
        .send({
          super_client_id: superClient.client_id,
          super_client_secret: superClient.client_secret ?? '',
          token_type: 'access_token',
        });
      expectOAuthError(res, 401, 'invalid_token');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="tokenvakt"');
    }
  });

  it('no other 4xx on /api/v1.0/ carries `errors`, so Kalamar keeps its session', async () => {
    const user = await createUser(t);
    const session = kalamarSession(await k.login(user));
    const pdf = await createClient(t);

    // No Authorization; Basic with a wrong password; another scheme.
    expectOAuthError(await k.tokenList({ auth: '' }), 401, 'invalid_token');
    expectOAuthError(
      await k.tokenList({ auth: basicAuth(user.username, 'wrong password') }),
      401,
      'invalid_token',
    );
    expectOAuthError(await k.tokenList({ auth: 'Digest abc' }), 401, 'invalid_token');
    // A live session with a wrong super-client secret.
    const wrongSecret = await k.korapRequest(
      '/oauth2/token/list',
      {
        super_client_id: superClient.client_id,
        super_client_secret: 'tvs_wrong',
        token_type: 'access_token',
      },
      session,
    );
    expectOAuthError(wrongSecret, 401, 'invalid_client');
    // A third-party client's access token presented as the session.
    const thirdParty = await authorizeAndExchange(t, {
      session: await login(t, superClient, user),
      client: pdf,
    });
    expectOAuthError(
      await k.tokenList({ auth: bearer(thirdParty.access_token) }),
      403,
      'insufficient_scope',
    );
    // auth.new_token_p with a redirect_uri that is not the registered one.
    const badRedirect = await t
      .http()
      .get(`${API}/oauth2/authorize`)
      .set('X-Forwarded-For', BROWSER)
      .set('Authorization', session.auth)
      .query({
        response_type: 'code',
        client_id: pdf.client_id,
        redirect_uri: 'https://elsewhere.example/cb',
        state: 's',
        scope: 'search',
      });
    const redirectError = expectDirectAuthorizeError(badRedirect, 400, 'invalid_request', 's');
    assert.match(redirectError.error_description, /redirect_uri/);
    // refresh_p with an unknown refresh token, and a login with a wrong password.
    expectOAuthError(
      await k.refresh(`tvr_${randomBytes(32).toString('base64url')}`),
      400,
      'invalid_grant',
    );
    expectOAuthError(
      await k.login({ username: user.username, password: 'wrong' }),
      400,
      'invalid_grant',
    );

    // The session is untouched by all of it.
    assert.equal((await k.tokenList(session)).status, 200);
  });

  it('a new login with the old session still in the Authorization header (live, expired or revoked) and X-Forwarded-For: 200, the Bearer header is not client authentication', async () => {
    const user = await createUser(t);
    const live = kalamarSession(await k.login(user));
    const expired = kalamarSession(await k.login(user, live));
    await expire(accessTokenOf(expired));
    const revoked = kalamarSession(await k.login(user, expired));
    await revokeAccessToken(accessTokenOf(revoked));
    const fresh = kalamarSession(await k.login(user, revoked));
    assert.equal((await k.tokenList(fresh)).status, 200);
  });
});

describe('concurrent refreshes within REFRESH_TOKEN_REUSE_GRACE (default 10s)', () => {
  let t: TestApp;
  let superClient: TestClient;
  let k: ReturnType<typeof kalamar>;

  before(async () => {
    t = await startTestApp();
    superClient = await createSuperClient(t);
    k = kalamar(t, superClient);
  });
  after(() => t.close());

  const loggedIn = async () => kalamarSession(await k.login(await createUser(t)));

  it('10 concurrent refreshes with one refresh token: all 200, every new session works, the grant stays live and no reuse is counted', async () => {
    const session = await loggedIn();
    const reuseBefore = await reuseRevocations(t);
    const answers = await Promise.all(Array.from({ length: 10 }, () => k.refresh(session.auth_r)));
    const sessions = answers.map(kalamarSession);
    assert.equal(new Set(sessions.map((s) => s.auth)).size, 10);
    assert.equal(new Set(sessions.map((s) => s.auth_r)).size, 10);
    for (const s of sessions) {
      const res = await k.tokenList(s);
      assert.equal(res.status, 200, res.text);
    }
    const grant = await grantOf(t, session.auth_r);
    // The original pair is gone (rotated once); ten live pairs, each refresh token with its
    // grant's expiry and scope.
    assert.equal(live(grant).length, 20, JSON.stringify(live(grant)));
    const original = grant.find((row) => row.digest === digestSecret(session.auth_r));
    assert.ok(original?.rotated && original.revokedAt !== null);
    for (const s of sessions) {
      const row = grant.find((r) => r.digest === digestSecret(s.auth_r));
      assert.equal(row?.expiresAt.getTime(), original.expiresAt.getTime());
      assert.equal(row?.scope, original.scope);
    }
    assert.equal(await reuseRevocations(t), reuseBefore);
    // Each of them refreshes on as usual.
    for (const s of sessions.slice(0, 3)) kalamarSession(await k.refresh(s.auth_r));
  });

  it('a reissue within the grace never brings a revoked grant back', async () => {
    const session = await loggedIn();
    const rotated = kalamarSession(await k.refresh(session.auth_r));
    assert.equal((await k.logout(rotated.auth_r)).status, 200);
    expectOAuthError(await k.refresh(session.auth_r), 400, 'invalid_grant');
    assert.deepEqual(live(await grantOf(t, session.auth_r)), []);
  });

  it('another client presenting the rotated refresh token: invalid_grant, and the grant is untouched', async () => {
    const session = await loggedIn();
    const rotated = kalamarSession(await k.refresh(session.auth_r));
    const other = await createClient(t);
    const res = await t
      .http()
      .post(`${API}/oauth2/token`)
      .type('form')
      .send({
        grant_type: 'refresh_token',
        client_id: other.client_id,
        client_secret: other.client_secret ?? '',
        refresh_token: session.auth_r,
      });
    expectOAuthError(res, 400, 'invalid_grant');
    assert.equal(live(await grantOf(t, session.auth_r)).length, 2);
    assert.equal((await k.tokenList(rotated)).status, 200);
  });

  it('logout as Kalamar does it after a grace reissue leaves no live token of the grant', async () => {
    const session = await loggedIn();
    const [first, second] = (
      await Promise.all([k.refresh(session.auth_r), k.refresh(session.auth_r)])
    ).map(kalamarSession);
    assert.ok(first && second);
    assert.equal(live(await grantOf(t, session.auth_r)).length, 4);

    const res = await k.logout(first.auth_r);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '');
    assert.deepEqual(live(await grantOf(t, session.auth_r)), []);
    for (const s of [first, second]) {
      expectOAuthError(await k.refresh(s.auth_r), 400, 'invalid_grant');
      const list = await k.tokenList(s);
      assert.equal(list.status, 401);
      assert.ok(kalamarRefreshesOn(list));
    }
  });
});

describe('REFRESH_TOKEN_REUSE_GRACE=1s: after the grace, reuse revokes the grant', () => {
  let t: TestApp;
  let k: ReturnType<typeof kalamar>;

  before(async () => {
    t = await startTestApp({ REFRESH_TOKEN_REUSE_GRACE: '1s' });
    k = kalamar(t, await createSuperClient(t));
  });
  after(() => t.close());

  it('inside the grace the rotated token gets a new pair; after it, presenting it ends the grant', async () => {
    const session = kalamarSession(await k.login(await createUser(t)));
    const rotated = kalamarSession(await k.refresh(session.auth_r));
    const reissued = kalamarSession(await k.refresh(session.auth_r));
    await sleep(1100);
    const reuse = await k.refresh(session.auth_r);
    expectOAuthError(reuse, 400, 'invalid_grant');
    assert.deepEqual(live(await grantOf(t, session.auth_r)), []);
    assert.equal(await reuseRevocations(t), 1);
    for (const s of [rotated, reissued]) {
      expectOAuthError(await k.refresh(s.auth_r), 400, 'invalid_grant');
      assert.equal((await k.tokenList(s)).status, 401);
    }
  });
});

describe('REFRESH_TOKEN_REUSE_GRACE=0: reuse detection as before', () => {
  let t: TestApp;
  let k: ReturnType<typeof kalamar>;

  before(async () => {
    t = await startTestApp({ REFRESH_TOKEN_REUSE_GRACE: '0' });
    k = kalamar(t, await createSuperClient(t));
  });
  after(() => t.close());

  it('the rotated token presented at once revokes the grant', async () => {
    const session = kalamarSession(await k.login(await createUser(t)));
    const rotated = kalamarSession(await k.refresh(session.auth_r));
    expectOAuthError(await k.refresh(session.auth_r), 400, 'invalid_grant');
    assert.deepEqual(live(await grantOf(t, session.auth_r)), []);
    assert.equal((await k.tokenList(rotated)).status, 401);
  });

  it('10 concurrent refreshes with one token: one 200, the rest invalid_grant, and the grant ends revoked', async () => {
    const session = kalamarSession(await k.login(await createUser(t)));
    const answers = await Promise.all(Array.from({ length: 10 }, () => k.refresh(session.auth_r)));
    assert.deepEqual(answers.map((res) => res.status).sort(), [200, ...Array<number>(9).fill(400)]);
    assert.deepEqual(live(await grantOf(t, session.auth_r)), []);
  });
});

describe('TRUST_PROXY: X-Forwarded-For from a trusted front end', () => {
  /** An app with TRUST_PROXY, Kalamar in front of it, and ten wrong logins from one browser. */
  async function frontEnd(trustProxy: string) {
    const t = await startTestApp({ TRUST_PROXY: trustProxy });
    const k = kalamar(t, await createSuperClient(t));
    const tenWrongPasswords = async (user: TestUser, browser: string | null) => {
      for (let i = 0; i < 10; i++) {
        const wrong = { username: user.username, password: `wrong ${i}` };
        expectOAuthError(await k.login(wrong, undefined, browser), 400, 'invalid_grant');
      }
    };
    return { t, login: k.login, tenWrongPasswords };
  }

  describe('TRUST_PROXY=127.0.0.1: Kalamar on this host is trusted', () => {
    let app: Awaited<ReturnType<typeof frontEnd>>;
    before(async () => {
      app = await frontEnd('127.0.0.1');
    });
    after(() => app.t.close());

    it('ten wrong passwords for carol from one browser lock carol out there, not from another browser', async () => {
      const carol = await createUser(app.t, 'carol');
      await app.tenWrongPasswords(carol, '203.0.113.5');
      expectOAuthError(await app.login(carol, undefined, '203.0.113.5'), 429);
      kalamarSession(await app.login(carol, undefined, '203.0.113.6'));
      // The metrics carry no addresses.
      assert.doesNotMatch((await app.t.http().get('/metrics')).text, /203\.0\.113/);
    });

    it("without X-Forwarded-For the front end's own address is the source", async () => {
      const dave = await createUser(app.t, 'dave');
      await app.tenWrongPasswords(dave, null);
      expectOAuthError(await app.login(dave, undefined, null), 429);
      kalamarSession(await app.login(dave, undefined, '203.0.113.7'));
    });
  });

  describe('TRUST_PROXY=192.0.2.1: the peer is not a trusted front end', () => {
    let app: Awaited<ReturnType<typeof frontEnd>>;
    before(async () => {
      app = await frontEnd('192.0.2.1');
    });
    after(() => app.t.close());

    it("ignores the peer's X-Forwarded-For: its failures count against the peer", async () => {
      const erin = await createUser(app.t, 'erin');
      await app.tenWrongPasswords(erin, '203.0.113.5');
      expectOAuthError(await app.login(erin, undefined, '203.0.113.6'), 429);
    });
  });
});

describe('the request log line names the forwarded client (TRUST_PROXY=127.0.0.1, a real server process)', () => {
  it('client is the X-Forwarded-For address from the trusted peer, and the peer without the header', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tokenvakt-kalamar-'));
    const fresh = await freshDatabaseUrl();
    const port = await freePort();
    const server = await startServer(cwd, {
      PORT: String(port),
      LOG_LEVEL: 'info',
      TRUST_PROXY: '127.0.0.1',
      DATABASE_URL: fresh.url.startsWith('sqlite:')
        ? `sqlite:${join(cwd, 'db.sqlite')}`
        : fresh.url,
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await fetch(`${base}/health/live`, {
        headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Request-Id': 'forwarded-1' },
      });
      await fetch(`${base}/health/live`, { headers: { 'X-Request-Id': 'direct-1' } });
      const lineOf = (id: string) =>
        server
          .stdout()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((entry) => entry.msg === 'request' && entry.request_id === id);
      const deadline = Date.now() + 3000;
      while ((!lineOf('forwarded-1') || !lineOf('direct-1')) && Date.now() < deadline) {
        await sleep(20);
      }
      assert.equal(lineOf('forwarded-1')?.client, '203.0.113.9');
      assert.equal(lineOf('direct-1')?.client, '127.0.0.1');
    } finally {
      await server.stop();
      await fresh.drop();
    }
  });
});
