import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { In, type FindOptionsWhere } from 'typeorm';
import { digestSecret } from '../src/auth/secrets';
import { AuthorizationCode } from '../src/authorization/authorization-code.entity';
import { TokenPurgeService } from '../src/tokens/token-purge.service';
import { Token } from '../src/tokens/token.entity';
import {
  authorizeAndExchange,
  authorizeCode,
  clientBasic,
  createClient,
  createSuperClient,
  createUser,
  listTokens,
  login,
  type TestClient,
  type TestUser,
  type TokenResponse,
} from './support/factories';
import {
  basicAuth,
  bearer,
  freshDatabaseUrl,
  startTestApp,
  type TestApp,
} from './support/test-app';
import { expectOAuthError as expectError } from './support/assertions';

const REDIS_URL = 'redis://127.0.0.1:6379';

/** A 429 with `Retry-After` in whole seconds, at least 1 and at most the window. */
function expectThrottled(res: Response, windowSeconds: number): number {
  expectError(res, 429);
  const retryAfter = String(res.headers['retry-after']);
  assert.match(retryAfter, /^\d+$/, `Retry-After in whole seconds, got ${retryAfter}`);
  const seconds = Number(retryAfter);
  assert.ok(seconds >= 1 && seconds <= windowSeconds, `Retry-After ${seconds}`);
  return seconds;
}

/** Calls `probe` until `done` holds or `timeoutMs` passed; returns the last value. */
async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= deadline) return value;
    await sleep(intervalMs);
  }
}

const unknownAccessToken = () => `tva_${randomBytes(32).toString('base64url')}`;

/** POST /oauth2/token/list with explicit super-client credentials. */
function listAs(t: TestApp, authorization: string, superClientId: string, secret: string) {
  return t.http().post('/oauth2/token/list').set('Authorization', authorization).type('form').send({
    super_client_id: superClientId,
    super_client_secret: secret,
    token_type: 'access_token',
  });
}

describe('brute-force throttling (RATE_LIMIT_MAX_FAILURES=3, RATE_LIMIT_WINDOW=2s)', () => {
  const WINDOW = 2;
  let t: TestApp;
  let superClient: TestClient;
  let pdf: TestClient;
  let alice: TestUser;
  let aliceSession: TokenResponse;

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX_FAILURES: '3', RATE_LIMIT_WINDOW: '2s' });
    superClient = await createSuperClient(t);
    pdf = await createClient(t);
    alice = await createUser(t);
    aliceSession = await login(t, superClient, alice);
    await authorizeAndExchange(t, { session: aliceSession, client: pdf });
  });
  after(() => t.close());

  const sessionRow = (user: TestUser, client: TestClient) =>
    t.dataSource.getRepository(Token).findOneByOrFail({
      username: user.username,
      clientId: client.client_id,
      type: 'access_token',
    });

  it('never throttles successful traffic: 50 token-list requests in a row all answer 200', async () => {
    for (let i = 0; i < 50; i++) {
      const res = await listTokens(t, superClient, bearer(aliceSession.access_token));
      assert.equal(res.status, 200, `request ${i + 1}: ${res.status} ${res.text}`);
    }
    for (let i = 0; i < 5; i++) {
      assert.equal((await listTokens(t, superClient, alice.basic)).status, 200);
    }
  });

  it('does not count a revoked or an expired (but known) bearer token as a failure', async () => {
    const user = await createUser(t);
    const revokedSession = await login(t, superClient, user);
    const expiredSession = await login(t, superClient, user);
    const revoke = await t
      .http()
      .post('/oauth2/revoke')
      .set('Authorization', clientBasic(superClient))
      .type('form')
      .send({ token: revokedSession.access_token });
    assert.equal(revoke.status, 200, revoke.text);
    const rows = await t.dataSource
      .getRepository(Token)
      .findBy({ username: user.username, clientId: superClient.client_id, type: 'access_token' });
    const expiredRow = rows.find((r) => r.revokedAt === null);
    assert.ok(expiredRow);
    await t.dataSource
      .getRepository(Token)
      .update({ handle: expiredRow.handle }, { expiresAt: new Date(Date.now() - 1000) });

    for (const session of [revokedSession, expiredSession]) {
      for (let i = 0; i < 10; i++) {
        const res = await listTokens(t, superClient, bearer(session.access_token));
        expectError(res, 401, 'invalid_token');
      }
    }
    const good = await listTokens(t, superClient, bearer(aliceSession.access_token));
    assert.equal(good.status, 200, good.text);
  });

  it('blocks a super client after 3 wrong secrets, even with the right secret, until the window ends', async () => {
    const target = await createSuperClient(t);
    const secret = target.client_secret ?? '';
    assert.equal((await listAs(t, alice.basic, target.client_id, secret)).status, 200);
    for (let i = 0; i < 3; i++) {
      expectError(
        await listAs(t, alice.basic, target.client_id, `${secret}-wrong${i}`),
        401,
        'invalid_client',
      );
    }
    const blocked = await listAs(t, alice.basic, target.client_id, secret);
    expectThrottled(blocked, WINDOW);
    expectThrottled(await listAs(t, alice.basic, target.client_id, 'wrong'), WINDOW);
    // A forwarding header the server has no reason to trust does not make another source.
    const spoofed = await t
      .http()
      .post('/oauth2/token/list')
      .set('Authorization', alice.basic)
      .set('X-Forwarded-For', '203.0.113.7')
      .type('form')
      .send({
        super_client_id: target.client_id,
        super_client_secret: secret,
        token_type: 'access_token',
      });
    expectThrottled(spoofed, WINDOW);
    // Other super clients from the same source are not affected.
    assert.equal((await listTokens(t, superClient, alice.basic)).status, 200);

    await sleep(WINDOW * 1000 + 200);
    const again = await listAs(t, alice.basic, target.client_id, secret);
    assert.equal(again.status, 200, again.text);
  });

  it('counts wrong Basic passwords per user: A is refused, B from the same source is not', async () => {
    const a = await createUser(t);
    const b = await createUser(t);
    for (let i = 0; i < 3; i++) {
      const res = await listTokens(t, superClient, basicAuth(a.username, `${a.password}-${i}`));
      expectError(res, 401, 'invalid_token');
    }
    expectThrottled(await listTokens(t, superClient, a.basic), WINDOW);
    const other = await listTokens(t, superClient, b.basic);
    assert.equal(other.status, 200, other.text);
    // A's bearer session (another identity) still works; only the password is blocked.
    assert.equal((await listTokens(t, superClient, bearer(aliceSession.access_token))).status, 200);
  });

  it('counts wrong client secrets at /oauth2/token, client_secret_post and Basic, for that client', async () => {
    const target = await createClient(t);
    const bystander = await createClient(t);
    const secret = target.client_secret ?? '';
    const viaPost = (clientSecret: string) =>
      t.http().post('/oauth2/token').type('form').send({
        grant_type: 'client_credentials',
        scope: 'search',
        client_id: target.client_id,
        client_secret: clientSecret,
      });
    const viaBasic = (client: TestClient, clientSecret: string) =>
      t
        .http()
        .post('/oauth2/token')
        .set('Authorization', basicAuth(client.client_id, clientSecret))
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'search' });

    const control = await viaPost(secret);
    assert.equal(control.status, 200, control.text);
    expectError(await viaPost(`${secret}x`), 401, 'invalid_client');
    expectError(await viaPost('wrong'), 401, 'invalid_client');
    const basicFailure = await viaBasic(target, `${secret}y`);
    expectError(basicFailure, 401, 'invalid_client');
    assert.equal(basicFailure.headers['www-authenticate'], 'Basic realm="tokenvakt"');

    expectThrottled(await viaPost(secret), WINDOW);
    expectThrottled(await viaBasic(target, secret), WINDOW);
    const other = await viaBasic(bystander, bystander.client_secret ?? '');
    assert.equal(other.status, 200, other.text);
  });

  it('counts three wrong Basic secrets at /oauth2/token for that client', async () => {
    const target = await createClient(t);
    const secret = target.client_secret ?? '';
    const send = (clientSecret: string) =>
      t
        .http()
        .post('/oauth2/token')
        .set('Authorization', basicAuth(target.client_id, clientSecret))
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'search' });
    for (let i = 0; i < 3; i++) expectError(await send(`wrong-${i}`), 401, 'invalid_client');
    expectThrottled(await send(secret), WINDOW);
  });

  it('counts wrong client secrets at /oauth2/revoke and /oauth2/introspect for that client', async () => {
    const target = await createClient(t);
    const secret = target.client_secret ?? '';
    const post = (path: string, clientSecret: string) =>
      t
        .http()
        .post(path)
        .set('Authorization', basicAuth(target.client_id, clientSecret))
        .type('form')
        .send({ token: unknownAccessToken() });
    expectError(await post('/oauth2/revoke', 'wrong-1'), 401, 'invalid_client');
    expectError(await post('/oauth2/introspect', 'wrong-2'), 401, 'invalid_client');
    expectError(await post('/oauth2/revoke', 'wrong-3'), 401, 'invalid_client');
    expectThrottled(await post('/oauth2/introspect', secret), WINDOW);
    expectThrottled(await post('/oauth2/revoke', secret), WINDOW);
    const token = await t
      .http()
      .post('/oauth2/token')
      .set('Authorization', basicAuth(target.client_id, secret))
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'search' });
    expectThrottled(token, WINDOW);
  });

  it('counts wrong admin-client secrets at the admin API for that client', async () => {
    const admin = await createClient(t, { isAdmin: true });
    const otherAdmin = await createClient(t, { isAdmin: true });
    const path = `/admin/users/${encodeURIComponent(alice.username)}/tokens`;
    const get = (client: TestClient, clientSecret: string) =>
      t.http().get(path).set('Authorization', basicAuth(client.client_id, clientSecret));
    assert.equal((await get(admin, admin.client_secret ?? '')).status, 200);
    for (let i = 0; i < 3; i++) {
      const res = await get(admin, `wrong-${i}`);
      expectError(res, 401, 'invalid_client');
      assert.equal(res.headers['www-authenticate'], 'Basic realm="tokenvakt"');
    }
    expectThrottled(await get(admin, admin.client_secret ?? ''), WINDOW);
    const deleteAll = await t
      .http()
      .delete(path)
      .set('Authorization', basicAuth(admin.client_id, admin.client_secret ?? ''));
    expectThrottled(deleteAll, WINDOW);
    assert.equal((await get(otherAdmin, otherAdmin.client_secret ?? '')).status, 200);
    // The refused DELETE revoked nothing.
    assert.equal((await listTokens(t, superClient, bearer(aliceSession.access_token))).status, 200);
  });

  it('counts wrong password-grant passwords for that username', async () => {
    const carol = await createUser(t);
    const dave = await createUser(t);
    const loginSuper = await createSuperClient(t);
    const passwordGrant = (user: TestUser, password: string) =>
      t
        .http()
        .post('/oauth2/token')
        .set('Authorization', clientBasic(loginSuper))
        .type('form')
        .send({ grant_type: 'password', username: user.username, password });
    for (let i = 0; i < 3; i++) {
      expectError(await passwordGrant(carol, `${carol.password}-${i}`), 400, 'invalid_grant');
    }
    expectThrottled(await passwordGrant(carol, carol.password), WINDOW);
    // Carol's Basic password is the same identity: refused too.
    expectThrottled(await listTokens(t, superClient, carol.basic), WINDOW);
    // The super client itself, and other users logging in through it, go on working.
    const other = await passwordGrant(dave, dave.password);
    assert.equal(other.status, 200, other.text);
  });

  // Last in this app: it blocks every bearer token from this source for the window.
  it('counts unknown bearer tokens for "bearer": then a valid bearer token gets 429 as well', async () => {
    for (let i = 0; i < 3; i++) {
      expectError(
        await listTokens(t, superClient, bearer(unknownAccessToken())),
        401,
        'invalid_token',
      );
    }
    expectThrottled(await listTokens(t, superClient, bearer(aliceSession.access_token)), WINDOW);
    // Basic authentication of the user is another identity and goes on working.
    assert.equal((await listTokens(t, superClient, alice.basic)).status, 200);
    // A known session is accepted again once the window has passed.
    await sleep(WINDOW * 1000 + 200);
    const again = await listTokens(t, superClient, bearer(aliceSession.access_token));
    assert.equal(again.status, 200, again.text);
    assert.ok((await sessionRow(alice, superClient)).revokedAt === null);
  });
});

describe('shared failure counters through Redis (RATE_LIMIT_REDIS_URL)', () => {
  const WINDOW = 3;
  let database: { url: string; drop: () => Promise<void> };
  let sqliteDir: string | undefined;
  let t1: TestApp;
  let t2: TestApp;
  let user: TestUser;

  before(async () => {
    database = await freshDatabaseUrl();
    let url = database.url;
    // Two apps cannot share an in-memory SQLite database; give them one file.
    if (url === 'sqlite::memory:') {
      sqliteDir = mkdtempSync(join(tmpdir(), 'tokenvakt-throttle-'));
      url = `sqlite:${join(sqliteDir, 'db.sqlite')}`;
    }
    const env = {
      DATABASE_URL: url,
      RATE_LIMIT_REDIS_URL: REDIS_URL,
      RATE_LIMIT_MAX_FAILURES: '3',
      RATE_LIMIT_WINDOW: `${WINDOW}s`,
    };
    t1 = await startTestApp(env);
    t2 = await startTestApp(env);
    user = await createUser(t1);
  });
  after(async () => {
    await t2?.close();
    await t1?.close();
    await database?.drop();
    if (sqliteDir !== undefined) rmSync(sqliteDir, { recursive: true, force: true });
  });

  it('shares one database between the two apps (control case)', async () => {
    const client = await createSuperClient(t1);
    const res = await listAs(t2, user.basic, client.client_id, client.client_secret ?? '');
    assert.equal(res.status, 200, res.text);
  });

  it('blocks on app 2 an identity that failed on app 1, until the window ends', async () => {
    // Client ids are random, so earlier runs cannot have left counts for them in Redis.
    const target = await createSuperClient(t1);
    const bystander = await createSuperClient(t1);
    const secret = target.client_secret ?? '';
    for (let i = 0; i < 3; i++) {
      expectError(
        await listAs(t1, user.basic, target.client_id, `wrong-${i}`),
        401,
        'invalid_client',
      );
    }
    expectThrottled(await listAs(t2, user.basic, target.client_id, secret), WINDOW);
    expectThrottled(await listAs(t1, user.basic, target.client_id, secret), WINDOW);
    const other = await listAs(t2, user.basic, bystander.client_id, bystander.client_secret ?? '');
    assert.equal(other.status, 200, other.text);

    const started = Date.now();
    const released = await waitFor(
      () => listAs(t2, user.basic, target.client_id, secret),
      (res) => res.status !== 429,
      WINDOW * 1000 + 1500,
      200,
    );
    assert.equal(released.status, 200, released.text);
    assert.ok(Date.now() - started < WINDOW * 1000 + 1500);
  });

  it('adds up failures recorded on both apps', async () => {
    const target = await createSuperClient(t1);
    const secret = target.client_secret ?? '';
    expectError(await listAs(t1, user.basic, target.client_id, 'wrong-1'), 401, 'invalid_client');
    expectError(await listAs(t2, user.basic, target.client_id, 'wrong-2'), 401, 'invalid_client');
    // Two failures: not yet blocked anywhere.
    assert.equal((await listAs(t2, user.basic, target.client_id, secret)).status, 200);
    expectError(await listAs(t1, user.basic, target.client_id, 'wrong-3'), 401, 'invalid_client');
    expectThrottled(await listAs(t1, user.basic, target.client_id, secret), WINDOW);
    expectThrottled(await listAs(t2, user.basic, target.client_id, secret), WINDOW);
  });

  it('shares the counts of user passwords too', async () => {
    const victim = await createUser(t1);
    const control = await createSuperClient(t1);
    const secret = control.client_secret ?? '';
    for (let i = 0; i < 3; i++) {
      const res = await listAs(
        t2,
        basicAuth(victim.username, `wrong-${i}`),
        control.client_id,
        secret,
      );
      expectError(res, 401, 'invalid_token');
    }
    expectThrottled(await listAs(t1, victim.basic, control.client_id, secret), WINDOW);
  });
});

describe('scheduled purge (PURGE_INTERVAL=1s, PURGE_BATCH_SIZE=2)', () => {
  let t: TestApp;
  let superClient: TestClient;
  let pdf: TestClient;
  let stats: TestClient;
  let script: TestClient;

  before(async () => {
    t = await startTestApp({ PURGE_INTERVAL: '1s', PURGE_BATCH_SIZE: '2' });
    superClient = await createSuperClient(t);
    pdf = await createClient(t);
    stats = await createClient(t);
    script = await createClient(t, { type: 'PUBLIC' });
  });
  after(() => t.close());

  const tokens = () => t.dataSource.getRepository(Token);
  const codes = () => t.dataSource.getRepository(AuthorizationCode);
  const existingHandles = async (handles: string[]) =>
    handles.length === 0
      ? []
      : (await tokens().findBy({ handle: In(handles) })).map((r) => r.handle);
  const existingCodes = async (digests: string[]) =>
    digests.length === 0
      ? []
      : (await codes().findBy({ digest: In(digests) })).map((r) => r.digest);
  const rows = (where: FindOptionsWhere<Token>) => tokens().findBy(where);
  const past = () => new Date(Date.now() - 60_000);

  it('deletes expired and revoked tokens and expired codes; every live token and the live code remain', async () => {
    const alice = await createUser(t);
    const bob = await createUser(t);
    const aliceSession = await login(t, superClient, alice);
    const bobSession = await login(t, superClient, bob);

    // Live: two sessions, a public client's long-lived token, a client-credentials token,
    // one pdf grant of each user and a rotated (new) stats grant.
    await authorizeAndExchange(t, { session: aliceSession, client: script });
    await authorizeAndExchange(t, { session: bobSession, client: pdf });
    const cc = await t
      .http()
      .post('/oauth2/token')
      .set('Authorization', clientBasic(stats))
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'search' });
    assert.equal(cc.status, 200, cc.text);

    // To expire: one whole pdf grant (access + refresh).
    await authorizeAndExchange(t, { session: aliceSession, client: pdf });
    const toExpire = (await rows({ username: alice.username, clientId: pdf.client_id })).map(
      (r) => r.handle,
    );
    assert.equal(toExpire.length, 2);
    // To revoke: a stats grant, by its client (RFC 7009; takes the access token along).
    const revoked = await authorizeAndExchange(t, { session: aliceSession, client: stats });
    // To rotate: another stats grant; the old pair is revoked, the new pair is live.
    const rotatedAway = await authorizeAndExchange(t, { session: bobSession, client: stats });
    const bobStatsRows = await rows({ username: bob.username, clientId: stats.client_id });
    const bobStatsBefore = bobStatsRows.map((r) => r.handle);
    // Once rotated, kept while its family is live, for reuse detection.
    const rotatedRefresh = bobStatsRows.find((r) => r.type === 'refresh_token')?.handle ?? '';
    // The live pdf grant of alice, issued last.
    await authorizeAndExchange(t, { session: aliceSession, client: pdf });

    // Codes: one expired, one live.
    const expiredCode = await authorizeCode(t, { session: aliceSession, client: pdf });
    const liveCode = await authorizeCode(t, { session: aliceSession, client: pdf });

    // Now make them purgeable.
    await tokens().update({ handle: In(toExpire) }, { expiresAt: past() });
    const revoke = await t
      .http()
      .post('/oauth2/revoke')
      .set('Authorization', clientBasic(stats))
      .type('form')
      .send({ token: revoked.refresh_token ?? '' });
    assert.equal(revoke.status, 200, revoke.text);
    const rotation = await t
      .http()
      .post('/oauth2/token')
      .set('Authorization', clientBasic(stats))
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: rotatedAway.refresh_token ?? '' });
    assert.equal(rotation.status, 200, rotation.text);
    const expiredCodeDigest = digestSecret(expiredCode);
    const liveCodeDigest = digestSecret(liveCode);
    assert.equal(
      (await codes().update({ digest: expiredCodeDigest }, { expiresAt: past() })).affected,
      1,
    );

    const all = await rows({});
    const now = Date.now();
    const purgeable = all
      .filter((r) => r.revokedAt !== null || r.expiresAt.getTime() <= now)
      .map((r) => r.handle)
      .filter((handle) => handle !== rotatedRefresh);
    const live = all
      .filter((r) => r.revokedAt === null && r.expiresAt.getTime() > now)
      .map((r) => r.handle);
    // Expired pdf pair; the revoked stats pair; bob's rotated-away stats access token (the
    // purge may already have taken some of them by now, so count from what was set up).
    const rotatedAccess = bobStatsBefore.filter((handle) => handle !== rotatedRefresh);
    for (const handle of [...toExpire, ...bobStatsBefore]) assert.ok(!live.includes(handle));
    // Live: 2 sessions × 2, script 1, bob pdf 2, cc 1, bob's new stats pair 2, alice pdf 2.
    assert.equal(live.length, 12);

    const remaining = await waitFor(
      async () => ({
        tokens: await existingHandles([...purgeable, ...toExpire, ...rotatedAccess]),
        codes: await existingCodes([expiredCodeDigest]),
      }),
      (r) => r.tokens.length === 0 && r.codes.length === 0,
      3500,
    );
    assert.deepEqual(remaining, { tokens: [], codes: [] });
    const revokedRows = await rows({ username: alice.username, clientId: stats.client_id });
    assert.deepEqual(revokedRows, [], 'the revoked grant is gone');

    // Every live token, bob's rotated refresh token, and the live code are still there.
    assert.deepEqual((await existingHandles(live)).sort(), [...live].sort());
    assert.deepEqual(await existingHandles([rotatedRefresh]), [rotatedRefresh]);
    assert.deepEqual(await existingCodes([liveCodeDigest]), [liveCodeDigest]);
    assert.equal((await listTokens(t, superClient, bearer(aliceSession.access_token))).status, 200);
    const exchange = await t.http().post('/oauth2/token').type('form').send({
      grant_type: 'authorization_code',
      code: liveCode,
      client_id: pdf.client_id,
      client_secret: pdf.client_secret,
    });
    assert.equal(exchange.status, 200, exchange.text);
    const expiredExchange = await t.http().post('/oauth2/token').type('form').send({
      grant_type: 'authorization_code',
      code: expiredCode,
      client_id: pdf.client_id,
      client_secret: pdf.client_secret,
    });
    expectError(expiredExchange, 400, 'invalid_grant');
  });

  it('loops over batches: 12 tokens and 7 codes expired at once are all gone within 2.5 s', async () => {
    const user = await createUser(t);
    const session = await login(t, superClient, user);
    for (let i = 0; i < 6; i++) await authorizeAndExchange(t, { session, client: pdf });
    const grantRows = await rows({ username: user.username, clientId: pdf.client_id });
    assert.equal(grantRows.length, 12);
    const codeDigests: string[] = [];
    for (let i = 0; i < 7; i++) {
      codeDigests.push(digestSecret(await authorizeCode(t, { session, client: stats })));
    }
    const sessionHandles = (
      await rows({ username: user.username, clientId: superClient.client_id })
    ).map((r) => r.handle);

    // One statement each, so that the purge sees all of them at its next tick.
    await tokens().update({ handle: In(grantRows.map((r) => r.handle)) }, { expiresAt: past() });
    await codes().update({ digest: In(codeDigests) }, { expiresAt: past() });
    const start = Date.now();

    // Ticks come a second apart: within 2.5 s there are at most three, which without looping
    // over batches of 2 could delete at most 6 tokens and 6 codes.
    const remaining = await waitFor(
      async () => ({
        tokens: await existingHandles(grantRows.map((r) => r.handle)),
        codes: await existingCodes(codeDigests),
      }),
      (r) => r.tokens.length === 0 && r.codes.length === 0,
      2500,
      50,
    );
    assert.deepEqual(remaining, { tokens: [], codes: [] }, `after ${Date.now() - start} ms`);
    assert.deepEqual((await existingHandles(sessionHandles)).sort(), [...sessionHandles].sort());
  });
});

describe('purge schedule off (PURGE_INTERVAL=0)', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp({ PURGE_INTERVAL: '0', PURGE_BATCH_SIZE: '2' });
  });
  after(() => t.close());

  it('deletes nothing', async () => {
    const superClient = await createSuperClient(t);
    const pdf = await createClient(t);
    const user = await createUser(t);
    const session = await login(t, superClient, user);
    const first = await authorizeAndExchange(t, { session, client: pdf });
    await authorizeAndExchange(t, { session, client: pdf });
    await authorizeAndExchange(t, { session, client: pdf });
    const code = await authorizeCode(t, { session, client: pdf });
    const tokens = t.dataSource.getRepository(Token);
    const codes = t.dataSource.getRepository(AuthorizationCode);
    const pdfRows = await tokens.findBy({ username: user.username, clientId: pdf.client_id });
    assert.equal(pdfRows.length, 6);
    const [a, b, c] = pdfRows.filter((r) => r.refreshTokenHandle === null);
    assert.ok(a && b && c);
    await tokens.update({ handle: In([a.handle, b.handle]) }, { expiresAt: new Date(0) });
    const revoke = await t
      .http()
      .post('/oauth2/revoke')
      .set('Authorization', clientBasic(pdf))
      .type('form')
      .send({ token: first.refresh_token ?? '' });
    assert.equal(revoke.status, 200, revoke.text);
    await codes.update({ digest: digestSecret(code) }, { expiresAt: new Date(0) });
    const before = { tokens: await tokens.count(), codes: await codes.count() };
    assert.equal(before.tokens, 8);

    await sleep(1500);
    assert.deepEqual({ tokens: await tokens.count(), codes: await codes.count() }, before);
  });
});

describe('reuse detection survives the purge (RFC 9700 §4.14.2)', () => {
  let t: TestApp;
  let superClient: TestClient;
  let pdf: TestClient;
  let resourceServer: TestClient;
  let session: TokenResponse;

  before(async () => {
    // No schedule: each test purges at the moment it chooses, as `tokens purge` does. No reuse
    // grace: the legitimate client comes back at once.
    t = await startTestApp({ PURGE_INTERVAL: '0', REFRESH_TOKEN_REUSE_GRACE: '0' });
    superClient = await createSuperClient(t);
    pdf = await createClient(t);
    resourceServer = await createClient(t, { mayIntrospect: true, redirectUri: undefined });
    session = await login(t, superClient, await createUser(t));
  });
  after(() => t.close());

  const purge = () => t.get(TokenPurgeService).purge();
  const refresh = (refreshToken: string | undefined) =>
    t
      .http()
      .post('/oauth2/token')
      .set('Authorization', clientBasic(pdf))
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '' });
  const familyRows = async (refreshToken: string | undefined) => {
    const tokens = t.dataSource.getRepository(Token);
    const row = await tokens.findOneByOrFail({ digest: digestSecret(refreshToken ?? '') });
    return () => tokens.findBy({ familyId: row.familyId });
  };

  it('a stolen refresh token rotated by the attacker, then a purge: the legitimate client presenting it revokes the family', async () => {
    const stolen = await authorizeAndExchange(t, { session, client: pdf });
    const family = await familyRows(stolen.refresh_token);
    const attacker = await refresh(stolen.refresh_token);
    assert.equal(attacker.status, 200, attacker.text);
    const attackerTokens = attacker.body as TokenResponse;

    await purge();
    // Kept: the rotated refresh token (the family is live) and the attacker's pair; the old
    // access token, revoked with the rotation, is gone.
    const kept = await family();
    assert.deepEqual(
      kept
        .map((r) => `${r.type} ${r.rotated ? 'rotated' : r.revokedAt ? 'revoked' : 'live'}`)
        .sort(),
      ['access_token live', 'refresh_token live', 'refresh_token rotated'],
    );

    const legitimate = await refresh(stolen.refresh_token);
    expectError(legitimate, 400, 'invalid_grant');
    expectError(await refresh(attackerTokens.refresh_token), 400, 'invalid_grant');
    const introspection = await t
      .http()
      .post('/oauth2/introspect')
      .set('Authorization', clientBasic(resourceServer))
      .type('form')
      .send({ token: attackerTokens.access_token });
    assert.deepEqual(introspection.body, { active: false });

    // Now nothing of the family can become live again: the next purge takes all of it.
    await purge();
    assert.deepEqual(await family(), []);
  });

  it('purges a rotated family once its last live token is revoked', async () => {
    const first = await authorizeAndExchange(t, { session, client: pdf });
    const family = await familyRows(first.refresh_token);
    const rotated = await refresh(first.refresh_token);
    assert.equal(rotated.status, 200, rotated.text);
    const revoke = await t
      .http()
      .post('/oauth2/revoke')
      .set('Authorization', clientBasic(pdf))
      .type('form')
      .send({ token: (rotated.body as TokenResponse).refresh_token ?? '' });
    assert.equal(revoke.status, 200, revoke.text);
    assert.equal((await family()).length, 4);

    await purge();
    assert.deepEqual(await family(), []);
  });

  it('purges a rotated family once its live tokens have expired, and expired rotated tokens', async () => {
    const tokens = t.dataSource.getRepository(Token);
    const past = new Date(Date.now() - 60_000);

    // The live pair has expired; the rotated refresh token not yet.
    const first = await authorizeAndExchange(t, { session, client: pdf });
    const family = await familyRows(first.refresh_token);
    assert.equal((await refresh(first.refresh_token)).status, 200);
    await tokens.update(
      { handle: In((await family()).filter((r) => !r.revokedAt).map((r) => r.handle)) },
      { expiresAt: past },
    );

    // The rotated refresh token has expired (with its family's refresh expiry); the live
    // pair not yet (an access token may outlive the refresh expiry of its grant).
    const second = await authorizeAndExchange(t, { session, client: pdf });
    const secondFamily = await familyRows(second.refresh_token);
    assert.equal((await refresh(second.refresh_token)).status, 200);
    await tokens.update({ digest: digestSecret(second.refresh_token ?? '') }, { expiresAt: past });

    await purge();
    assert.deepEqual(await family(), []);
    assert.deepEqual(
      (await secondFamily()).map((r) => `${r.type} ${r.revokedAt ? 'revoked' : 'live'}`).sort(),
      ['access_token live', 'refresh_token live'],
    );
  });
});
