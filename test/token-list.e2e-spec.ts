import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Token } from '../src/tokens/token.entity';
import {
  authorizeAndExchange,
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
import { bearer, startTestApp, type TestApp } from './support/test-app';

interface ListEntry {
  token: string;
  token_type: string;
  created_date: string;
  expires_in: number;
  expires_at: string;
  user_authentication_time: string;
  scope: string[];
  client_id: string;
  client_name: string | null;
  client_description: string | null;
  client_url: string | null;
  last_used_at: string | null;
  token_revealed: boolean;
}

describe('POST /oauth2/token/list: two users, three clients each', () => {
  let t: TestApp;
  let superClient: TestClient;
  let alice: TestUser;
  let bob: TestUser;
  let aliceSession: TokenResponse;
  let bobSession: TokenResponse;
  let pdf: TestClient;
  let stats: TestClient;
  let script: TestClient;
  const aliceTokens = new Map<string, TokenResponse>();

  before(async () => {
    // Reuse detection as RFC 9700 §4.14.2 has it; the grace Kalamar needs: kalamar.e2e-spec.ts.
    t = await startTestApp({ REFRESH_TOKEN_REUSE_GRACE: '0' });
    superClient = await createSuperClient(t);
    alice = await createUser(t);
    bob = await createUser(t);
    pdf = await createClient(t, { name: 'EasyPDF Exporter', url: 'https://easypdf.example/' });
    stats = await createClient(t, { name: 'R statistics', url: undefined, description: undefined });
    script = await createClient(t, { name: 'Query script', type: 'PUBLIC' });
    aliceSession = await login(t, superClient, alice);
    bobSession = await login(t, superClient, bob);
    for (const client of [pdf, stats, script]) {
      aliceTokens.set(
        client.client_id,
        await authorizeAndExchange(t, { session: aliceSession, client }),
      );
      await authorizeAndExchange(t, { session: bobSession, client, scope: 'search' });
    }
  });
  after(() => t.close());

  const list = (session: TokenResponse, form: Record<string, string> = {}) =>
    listTokens(t, superClient, bearer(session.access_token), form);

  it("lists the user's access tokens of third-party clients, oldest first, never the super client's own", async () => {
    const res = await list(aliceSession);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-total-count'], '3');
    assert.equal(res.headers['cache-control'], 'no-store');
    const entries = res.body as ListEntry[];
    assert.deepEqual(
      entries.map((e) => e.client_id),
      [pdf.client_id, stats.client_id, script.client_id],
    );
    assert.ok(entries.every((e) => e.token_type === 'access_token'));
    assert.ok(!entries.some((e) => e.client_id === superClient.client_id));
    const created = entries.map((e) => e.created_date);
    assert.deepEqual([...created].sort(), created);
  });

  it('returns every field of a token list entry in the right form', async () => {
    const [entry] = (await list(aliceSession, { client_id: pdf.client_id })).body as ListEntry[];
    assert.ok(entry);
    assert.deepEqual(Object.keys(entry).sort(), [
      'client_description',
      'client_id',
      'client_name',
      'client_url',
      'created_date',
      'expires_at',
      'expires_in',
      'last_used_at',
      'scope',
      'token',
      'token_revealed',
      'token_type',
      'user_authentication_time',
    ]);
    assert.match(entry.created_date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(entry.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(entry.user_authentication_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Number.isInteger(entry.expires_in));
    const untilExpiry = (Date.parse(entry.expires_at) - Date.now()) / 1000;
    assert.ok(entry.expires_in <= untilExpiry + 1 && entry.expires_in >= untilExpiry - 5);
    assert.ok(entry.expires_in > 86_000 && entry.expires_in <= 86_400);
    assert.deepEqual(entry.scope, ['match_info', 'search']);
    assert.equal(entry.client_name, 'EasyPDF Exporter');
    assert.equal(entry.client_url, 'https://easypdf.example/');
    assert.equal(entry.client_description, 'EasyPDF Exporter, a test client');
    // A third-party client's token is never presented to tokenvakt itself in this flow.
    assert.equal(entry.last_used_at, null);
    // The handle names the token but is not the token.
    assert.notEqual(entry.token, aliceTokens.get(pdf.client_id)?.access_token);
    assert.doesNotMatch(entry.token, /^tv[arcs]_/);
    assert.equal(entry.token_revealed, false);
  });

  it('gives null for client fields that are absent', async () => {
    const [entry] = (await list(aliceSession, { client_id: stats.client_id })).body as ListEntry[];
    assert.equal(entry?.client_url, null);
    assert.equal(entry?.client_description, null);
  });

  it('lists refresh tokens only of confidential clients (a public client has none)', async () => {
    const res = await list(aliceSession, { token_type: 'refresh_token' });
    assert.equal(res.status, 200);
    const entries = res.body as ListEntry[];
    assert.deepEqual(
      entries.map((e) => e.client_id),
      [pdf.client_id, stats.client_id],
    );
    assert.ok(entries.every((e) => e.token_type === 'refresh_token'));
  });

  it('shows each user only their own tokens', async () => {
    const aliceHandles = ((await list(aliceSession)).body as ListEntry[]).map((e) => e.token);
    const bobEntries = (await list(bobSession)).body as ListEntry[];
    assert.equal(bobEntries.length, 3);
    assert.ok(bobEntries.every((e) => e.scope.join(' ') === 'search'));
    assert.ok(!bobEntries.some((e) => aliceHandles.includes(e.token)));
    // Basic authentication identifies the same user as the super client's session.
    const viaBasic = (await listTokens(t, superClient, alice.basic)).body as ListEntry[];
    assert.deepEqual(
      viaBasic.map((e) => e.token),
      aliceHandles,
    );
  });

  it('filters by client_id', async () => {
    const res = await list(aliceSession, { client_id: script.client_id });
    assert.equal(res.headers['x-total-count'], '1');
    assert.deepEqual(
      (res.body as ListEntry[]).map((e) => e.client_id),
      [script.client_id],
    );
    const none = await list(aliceSession, { client_id: superClient.client_id });
    assert.equal(none.status, 200);
    assert.deepEqual(none.body, []);
  });

  it('pages with start and max_results; X-Total-Count counts before paging', async () => {
    const all = ((await list(aliceSession)).body as ListEntry[]).map((e) => e.token);
    const page1 = await list(aliceSession, { start: '0', max_results: '2' });
    const page2 = await list(aliceSession, { start: '2', max_results: '2' });
    const beyond = await list(aliceSession, { start: '3' });
    assert.equal(page1.headers['x-total-count'], '3');
    assert.equal(page2.headers['x-total-count'], '3');
    assert.deepEqual(
      (page1.body as ListEntry[]).map((e) => e.token),
      all.slice(0, 2),
    );
    assert.deepEqual(
      (page2.body as ListEntry[]).map((e) => e.token),
      all.slice(2),
    );
    assert.deepEqual(beyond.body, []);
    assert.equal(beyond.headers['x-total-count'], '3');
  });

  it('counts before paging however the page ends: short, full, empty, or past the end', async () => {
    // The total of a short page follows from it; a full or empty page asks the database.
    const all = ((await list(aliceSession)).body as ListEntry[]).map((e) => e.token);
    assert.equal(all.length, 3);
    for (const start of [0, 1, 2, 3, 4, 10]) {
      for (const max of [1, 2, 3, 4]) {
        const res = await list(aliceSession, { start: String(start), max_results: String(max) });
        const seen = `start=${start} max_results=${max}`;
        assert.equal(res.status, 200, seen);
        assert.equal(res.headers['x-total-count'], '3', seen);
        assert.deepEqual(
          (res.body as ListEntry[]).map((e) => e.token),
          all.slice(start, start + max),
          seen,
        );
      }
    }
    const none = await list(aliceSession, {
      client_id: stats.client_id,
      token_type: 'refresh_token',
      start: '1',
    });
    assert.equal(none.headers['x-total-count'], '1');
    assert.deepEqual(none.body, []);
  });

  it('answers counts_only=true with {"count": N}', async () => {
    const res = await list(aliceSession, { counts_only: 'true' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { count: 3 });
    assert.equal(res.headers['x-total-count'], '3');
    const filtered = await list(aliceSession, {
      counts_only: 'true',
      token_type: 'refresh_token',
      client_id: pdf.client_id,
    });
    assert.deepEqual(filtered.body, { count: 1 });
    const explicitFalse = await list(aliceSession, { counts_only: 'false' });
    assert.equal((explicitFalse.body as ListEntry[]).length, 3);
  });

  it('is served under /api/v1.0/ and /api/v1.1/ for Kustvakt clients', async () => {
    for (const prefix of ['/api/v1.0', '/api/v1.1']) {
      const res = await t
        .http()
        .post(`${prefix}/oauth2/token/list`)
        .set('Authorization', bearer(aliceSession.access_token))
        .type('form')
        .send({
          super_client_id: superClient.client_id,
          super_client_secret: superClient.client_secret,
          token_type: 'access_token',
        });
      assert.equal(res.status, 200, prefix);
      assert.equal((res.body as ListEntry[]).length, 3);
    }
  });

  it('drops a token revoked by handle, and one revoked by raw value', async () => {
    const user = await createUser(t);
    const session = await login(t, superClient, user);
    const first = await authorizeAndExchange(t, { session, client: pdf });
    await authorizeAndExchange(t, { session, client: stats });
    const [byHandle, byRaw] = (await list(session)).body as ListEntry[];
    assert.ok(byHandle && byRaw);

    const revoke = (token: string) =>
      t
        .http()
        .post('/oauth2/revoke/super')
        .set('Authorization', bearer(session.access_token))
        .type('form')
        .send({
          super_client_id: superClient.client_id,
          super_client_secret: superClient.client_secret,
          token,
        });
    assert.equal((await revoke(byHandle.token)).status, 200);
    assert.deepEqual(
      ((await list(session)).body as ListEntry[]).map((e) => e.token),
      [byRaw.token],
    );

    const statsTokens = await t.dataSource
      .getRepository(Token)
      .findBy({ username: user.username, clientId: stats.client_id });
    assert.equal(statsTokens.length, 2);
    const second = await authorizeAndExchange(t, { session, client: stats });
    assert.equal((await revoke(second.access_token)).status, 200);
    assert.deepEqual(
      ((await list(session)).body as ListEntry[]).map((e) => e.token),
      [byRaw.token],
    );
    assert.ok(first.access_token);
  });

  it('drops an expired token, which is also refused as a bearer', async () => {
    const user = await createUser(t);
    const session = await login(t, superClient, user);
    await authorizeAndExchange(t, { session, client: pdf });
    await authorizeAndExchange(t, { session, client: stats });
    const [expiring, staying] = (await list(session)).body as ListEntry[];
    assert.ok(expiring && staying);
    // Move the token's expiry into the past rather than sleeping through a day.
    const past = new Date(Date.now() - 1000);
    await t.dataSource.getRepository(Token).update({ handle: expiring.token }, { expiresAt: past });
    const res = await list(session);
    assert.deepEqual(
      (res.body as ListEntry[]).map((e) => e.token),
      [staying.token],
    );
    assert.equal(res.headers['x-total-count'], '1');

    // The super client's own session token, expired, no longer authenticates the user.
    const sessionRow = await t.dataSource.getRepository(Token).findOneByOrFail({
      username: user.username,
      clientId: superClient.client_id,
      type: 'access_token',
    });
    await t.dataSource
      .getRepository(Token)
      .update({ handle: sessionRow.handle }, { expiresAt: past });
    const refused = await list(session);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_token');
    assert.equal(refused.headers['www-authenticate'], 'Bearer realm="tokenvakt"');
  });

  it('drops a rotated refresh token; reusing it revokes the whole family', async () => {
    const user = await createUser(t);
    const session = await login(t, superClient, user);
    const issued = await authorizeAndExchange(t, { session, client: pdf });
    const refresh = (token: string) =>
      t
        .http()
        .post('/oauth2/token')
        .set('Authorization', clientBasic(pdf))
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: token });

    const [original] = (await list(session, { token_type: 'refresh_token' })).body as ListEntry[];
    const rotated = await refresh(issued.refresh_token ?? '');
    assert.equal(rotated.status, 200);
    const rotatedBody = rotated.body as TokenResponse;
    assert.ok(rotatedBody.refresh_token && rotatedBody.refresh_token !== issued.refresh_token);

    const afterRotation = (await list(session, { token_type: 'refresh_token' }))
      .body as ListEntry[];
    assert.equal(afterRotation.length, 1);
    assert.notEqual(afterRotation[0]?.token, original?.token);
    // The old access token went with the old refresh token; the new one is listed.
    const accessAfter = (await list(session)).body as ListEntry[];
    assert.equal(accessAfter.length, 1);

    const reuse = await refresh(issued.refresh_token ?? '');
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    assert.deepEqual((await list(session, { token_type: 'refresh_token' })).body, []);
    assert.deepEqual((await list(session)).body, []);
    const familyMember = await refresh(rotatedBody.refresh_token ?? '');
    assert.equal(familyMember.status, 400);
    assert.equal(familyMember.body.error, 'invalid_grant');
  });
});
