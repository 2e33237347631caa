import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { IsNull, MoreThan, type FindOptionsWhere } from 'typeorm';
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
import { basicAuth, bearer, startTestApp, type TestApp } from './support/test-app';
import { expectOAuthError as expectError } from './support/assertions';

interface ListEntry {
  token: string;
  token_type: string;
  created_date: string;
  expires_in: number;
  expires_at: string;
  user_authentication_time: string | null;
  scope: string[];
  client_id: string;
  client_name: string | null;
  client_description: string | null;
  client_url: string | null;
  last_used_at: string | null;
}

const ENTRY_FIELDS = [
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
  'token_type',
  'user_authentication_time',
];

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function expectBasicChallenge(res: Response): void {
  expectError(res, 401, 'invalid_client');
  assert.equal(res.headers['www-authenticate'], 'Basic realm="tokenvakt"');
}

describe('admin API: GET/DELETE /admin/users/{username}/tokens (README: API at a glance)', () => {
  let t: TestApp;
  let admin: TestClient;
  let superClient: TestClient;
  let pdf: TestClient;
  let stats: TestClient;
  let script: TestClient;
  let alice: TestUser;
  let bob: TestUser;
  let aliceSession: TokenResponse;
  let bobSession: TokenResponse;

  before(async () => {
    t = await startTestApp();
    admin = await createClient(t, { isAdmin: true, name: 'Operator dashboard' });
    superClient = await createSuperClient(t);
    pdf = await createClient(t, { name: 'EasyPDF Exporter', url: 'https://easypdf.example/' });
    stats = await createClient(t, { name: 'R statistics', url: undefined, description: undefined });
    script = await createClient(t, { name: 'Query script', type: 'PUBLIC' });
    alice = await createUser(t);
    bob = await createUser(t);
    aliceSession = await login(t, superClient, alice);
    bobSession = await login(t, superClient, bob);
    for (const client of [pdf, stats, script]) {
      await authorizeAndExchange(t, { session: aliceSession, client });
    }
    await authorizeAndExchange(t, { session: bobSession, client: pdf, scope: 'search' });
  });
  after(() => t.close());

  const tokensPath = (username: string, handle?: string): string =>
    `/admin/users/${encodeURIComponent(username)}/tokens${
      handle === undefined ? '' : `/${encodeURIComponent(handle)}`
    }`;

  /** GET the admin list as the admin client (or with `authorization`, or none when null). */
  const adminList = (
    username: string,
    query: Record<string, string> = {},
    headers: Record<string, string> = {},
    authorization: string | null = clientBasic(admin),
  ) => {
    const req = t.http().get(tokensPath(username)).query(query);
    if (authorization !== null) req.set('Authorization', authorization);
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    return req;
  };

  const adminDelete = (
    username: string,
    handle?: string,
    authorization: string | null = clientBasic(admin),
  ) => {
    const req = t.http().delete(tokensPath(username, handle));
    if (authorization !== null) req.set('Authorization', authorization);
    return req;
  };

  const entriesOf = async (username: string, query: Record<string, string> = {}) => {
    const res = await adminList(username, query);
    assert.equal(res.status, 200, res.text);
    return res.body as ListEntry[];
  };

  const handlesOf = async (username: string, query: Record<string, string> = {}) =>
    (await entriesOf(username, query)).map((e) => e.token);

  const etagOf = async (username: string, query: Record<string, string> = {}) => {
    const res = await adminList(username, query);
    assert.equal(res.status, 200, res.text);
    const etag = res.headers.etag;
    assert.ok(etag, 'an ETag header');
    return etag;
  };

  const tokenRows = (where: FindOptionsWhere<Token>) =>
    t.dataSource.getRepository(Token).findBy(where);

  /** The user's live rows in the database, in the list's order (creation time, then handle). */
  const liveRowsInOrder = async (username: string): Promise<Token[]> => {
    const rows = await tokenRows({
      username,
      revokedAt: IsNull(),
      expiresAt: MoreThan(new Date()),
    });
    return rows.sort(
      (a, b) =>
        a.createdAt.getTime() - b.createdAt.getTime() ||
        (a.handle < b.handle ? -1 : a.handle > b.handle ? 1 : 0),
    );
  };

  const liveRowCount = async () =>
    (await t.dataSource.getRepository(Token).findBy({})).filter((r) => r.revokedAt === null).length;

  describe('GET /admin/users/{username}/tokens', () => {
    it("lists all of the user's live tokens of both types, the super client's session included, oldest first", async () => {
      const res = await adminList(alice.username);
      assert.equal(res.status, 200, res.text);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const entries = res.body as ListEntry[];
      // Session (access + refresh), pdf and stats (access + refresh each), script (access only).
      assert.equal(entries.length, 7);
      assert.equal(res.headers['x-total-count'], '7');
      const expected = await liveRowsInOrder(alice.username);
      assert.deepEqual(
        entries.map((e) => e.token),
        expected.map((r) => r.handle),
      );
      const created = entries.map((e) => e.created_date);
      assert.deepEqual([...created].sort(), created);
      assert.deepEqual(
        entries
          .filter((e) => e.client_id === superClient.client_id)
          .map((e) => e.token_type)
          .sort(),
        ['access_token', 'refresh_token'],
      );
      assert.deepEqual(
        entries.filter((e) => e.client_id === script.client_id).map((e) => e.token_type),
        ['access_token'],
      );
    });

    it('returns the fields of the token list, plus last_used_at, in the right form', async () => {
      const entries = await entriesOf(alice.username);
      for (const entry of entries) {
        assert.deepEqual(Object.keys(entry).sort(), ENTRY_FIELDS);
        assert.match(entry.created_date, ISO_MS);
        assert.match(entry.expires_at, ISO_MS);
        assert.ok(Number.isInteger(entry.expires_in));
        const untilExpiry = (Date.parse(entry.expires_at) - Date.now()) / 1000;
        assert.ok(entry.expires_in <= untilExpiry + 1 && entry.expires_in >= untilExpiry - 5);
        assert.ok(['access_token', 'refresh_token'].includes(entry.token_type));
        assert.deepEqual([...entry.scope].sort(), entry.scope);
        assert.doesNotMatch(entry.token, /^tv[arcs]_/);
      }
      const pdfAccess = entries.find(
        (e) => e.client_id === pdf.client_id && e.token_type === 'access_token',
      );
      assert.ok(pdfAccess);
      assert.deepEqual(pdfAccess.scope, ['match_info', 'search']);
      assert.equal(pdfAccess.client_name, 'EasyPDF Exporter');
      assert.equal(pdfAccess.client_url, 'https://easypdf.example/');
      assert.equal(pdfAccess.client_description, 'EasyPDF Exporter, a test client');
      assert.match(pdfAccess.user_authentication_time ?? '', ISO_MS);
      assert.ok(pdfAccess.expires_in > 86_000 && pdfAccess.expires_in <= 86_400);
      assert.equal(pdfAccess.last_used_at, null);
      const statsAccess = entries.find(
        (e) => e.client_id === stats.client_id && e.token_type === 'access_token',
      );
      assert.equal(statsAccess?.client_url, null);
      assert.equal(statsAccess?.client_description, null);
      // The super client's session was presented as a bearer (to authorize), so it was used.
      const session = entries.find(
        (e) => e.client_id === superClient.client_id && e.token_type === 'access_token',
      );
      assert.ok(session);
      assert.match(session.last_used_at ?? '', ISO_MS);
      assert.deepEqual(session.scope, ['all']);
    });

    it('filters by token_type', async () => {
      const access = await adminList(alice.username, { token_type: 'access_token' });
      assert.equal(access.status, 200);
      assert.equal(access.headers['x-total-count'], '4');
      const accessEntries = access.body as ListEntry[];
      assert.equal(accessEntries.length, 4);
      assert.ok(accessEntries.every((e) => e.token_type === 'access_token'));
      assert.deepEqual(
        accessEntries.map((e) => e.client_id),
        [superClient.client_id, pdf.client_id, stats.client_id, script.client_id],
      );

      const refresh = await adminList(alice.username, { token_type: 'refresh_token' });
      assert.equal(refresh.headers['x-total-count'], '3');
      const refreshEntries = refresh.body as ListEntry[];
      assert.ok(refreshEntries.every((e) => e.token_type === 'refresh_token'));
      assert.deepEqual(
        refreshEntries.map((e) => e.client_id),
        [superClient.client_id, pdf.client_id, stats.client_id],
      );
    });

    it('filters by client_id, alone and with token_type', async () => {
      const session = await adminList(alice.username, { client_id: superClient.client_id });
      assert.equal(session.headers['x-total-count'], '2');
      assert.ok((session.body as ListEntry[]).every((e) => e.client_id === superClient.client_id));
      const scriptOnly = await entriesOf(alice.username, { client_id: script.client_id });
      assert.deepEqual(
        scriptOnly.map((e) => [e.client_id, e.token_type]),
        [[script.client_id, 'access_token']],
      );
      const pdfRefresh = await entriesOf(alice.username, {
        client_id: pdf.client_id,
        token_type: 'refresh_token',
      });
      assert.deepEqual(
        pdfRefresh.map((e) => [e.client_id, e.token_type]),
        [[pdf.client_id, 'refresh_token']],
      );
      // A real client the user holds nothing of: an empty list, not an error.
      const none = await adminList(alice.username, { client_id: admin.client_id });
      assert.equal(none.status, 200);
      assert.deepEqual(none.body, []);
      assert.equal(none.headers['x-total-count'], '0');
    });

    it('pages with start and max_results; X-Total-Count counts before paging', async () => {
      const all = await handlesOf(alice.username);
      assert.equal(all.length, 7);
      const pages = [];
      for (const start of [0, 3, 6]) {
        const res = await adminList(alice.username, {
          start: String(start),
          max_results: '3',
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers['x-total-count'], '7');
        pages.push(...(res.body as ListEntry[]).map((e) => e.token));
      }
      assert.deepEqual(pages, all);
      const beyond = await adminList(alice.username, { start: '7' });
      assert.equal(beyond.status, 200);
      assert.deepEqual(beyond.body, []);
      assert.equal(beyond.headers['x-total-count'], '7');
      const one = await entriesOf(alice.username, { max_results: '1', start: '2' });
      assert.deepEqual(
        one.map((e) => e.token),
        all.slice(2, 3),
      );
      const filteredPage = await adminList(alice.username, {
        token_type: 'access_token',
        start: '1',
        max_results: '2',
      });
      assert.equal(filteredPage.headers['x-total-count'], '4');
      assert.deepEqual(
        (filteredPage.body as ListEntry[]).map((e) => e.client_id),
        [pdf.client_id, stats.client_id],
      );
      const max = await adminList(alice.username, { max_results: '200' });
      assert.equal((max.body as ListEntry[]).length, 7);
    });

    it('answers counts_only=true with {"count": N}', async () => {
      const res = await adminList(alice.username, { counts_only: 'true' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { count: 7 });
      assert.equal(res.headers['x-total-count'], '7');
      const filtered = await adminList(alice.username, {
        counts_only: 'true',
        token_type: 'refresh_token',
        client_id: pdf.client_id,
      });
      assert.deepEqual(filtered.body, { count: 1 });
      // Paging does not change the count.
      const paged = await adminList(alice.username, {
        counts_only: 'true',
        start: '5',
        max_results: '1',
      });
      assert.deepEqual(paged.body, { count: 7 });
      const explicitFalse = await adminList(alice.username, { counts_only: 'false' });
      assert.equal((explicitFalse.body as ListEntry[]).length, 7);
    });

    it("never shows another user's tokens", async () => {
      const aliceHandles = await handlesOf(alice.username);
      const bobEntries = await entriesOf(bob.username);
      // Bob: session (access + refresh) and pdf (access + refresh).
      assert.equal(bobEntries.length, 4);
      assert.ok(!bobEntries.some((e) => aliceHandles.includes(e.token)));
      const bobRows = await tokenRows({ username: bob.username });
      assert.deepEqual(bobEntries.map((e) => e.token).sort(), bobRows.map((r) => r.handle).sort());
      const bobPdf = bobEntries.filter((e) => e.client_id === pdf.client_id);
      assert.ok(bobPdf.every((e) => e.scope.join(' ') === 'search'));
    });

    it('answers an empty list for a user without tokens or an unknown username', async () => {
      const quiet = await createUser(t);
      for (const username of [quiet.username, `nobody-${randomBytes(4).toString('hex')}`]) {
        const res = await adminList(username);
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body, []);
        assert.equal(res.headers['x-total-count'], '0');
        assert.deepEqual((await adminList(username, { counts_only: 'true' })).body, { count: 0 });
      }
    });

    it('leaves out expired and revoked tokens', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      await authorizeAndExchange(t, { session, client: pdf });
      await authorizeAndExchange(t, { session, client: stats });
      const before = await entriesOf(user.username, { token_type: 'access_token' });
      assert.equal(before.length, 3);
      const [, expiring, revoked] = before;
      assert.ok(expiring && revoked);
      await t.dataSource
        .getRepository(Token)
        .update({ handle: expiring.token }, { expiresAt: new Date(Date.now() - 1000) });
      await t.dataSource
        .getRepository(Token)
        .update({ handle: revoked.token }, { revokedAt: new Date() });
      const res = await adminList(user.username, { token_type: 'access_token' });
      assert.deepEqual(
        (res.body as ListEntry[]).map((e) => e.token),
        [before[0]?.token],
      );
      assert.equal(res.headers['x-total-count'], '1');
    });

    for (const [name, query] of [
      ['an unknown token_type', { token_type: 'id_token' }],
      ['a differently cased token_type', { token_type: 'ACCESS_TOKEN' }],
      ['max_results=0', { max_results: '0' }],
      ['max_results=201', { max_results: '201' }],
      ['a negative max_results', { max_results: '-1' }],
      ['a non-numeric max_results', { max_results: 'ten' }],
      ['a fractional max_results', { max_results: '1.5' }],
      ['a negative start', { start: '-1' }],
      ['a non-numeric start', { start: 'first' }],
      ['a fractional start', { start: '0.5' }],
      ['counts_only=yes', { counts_only: 'yes' }],
      ['counts_only=1', { counts_only: '1' }],
    ] as const) {
      it(`refuses ${name} with 400 invalid_request`, async () => {
        expectError(await adminList(alice.username, query), 400, 'invalid_request');
      });
    }

    it('refuses a client_id that names no client with 400 invalid_request', async () => {
      const res = await adminList(alice.username, {
        client_id: `no-such-client-${randomBytes(4).toString('hex')}`,
      });
      expectError(res, 400, 'invalid_request');
    });

    it('refuses a repeated query field with 400 invalid_request, never 500', async () => {
      const res = await t
        .http()
        .get(`${tokensPath(alice.username)}?token_type=access_token&token_type=refresh_token`)
        .set('Authorization', clientBasic(admin));
      expectError(res, 400, 'invalid_request');
    });
  });

  describe('ETag and If-None-Match', () => {
    let user: TestUser;
    let session: TokenResponse;

    before(async () => {
      user = await createUser(t);
      session = await login(t, superClient, user);
      await authorizeAndExchange(t, { session, client: pdf });
    });

    it('sends a strong ETag that is the same for the same request', async () => {
      const first = await adminList(user.username);
      const etag = first.headers.etag;
      assert.ok(etag);
      assert.match(etag, /^"[\x21\x23-\x7e\x80-\xff]*"$/, 'a quoted entity tag');
      assert.ok(!etag.startsWith('W/'), 'a strong ETag');
      const second = await adminList(user.username);
      assert.equal(second.headers.etag, etag);
      assert.deepEqual(
        (second.body as ListEntry[]).map((e) => e.token),
        (first.body as ListEntry[]).map((e) => e.token),
      );
    });

    it('answers a matching If-None-Match with 304 and no body', async () => {
      const etag = await etagOf(user.username);
      const res = await adminList(user.username, {}, { 'If-None-Match': etag });
      assert.equal(res.status, 304);
      assert.ok(!res.text, `no body, got ${JSON.stringify(res.text)}`);
      assert.equal(res.headers.etag, etag);
    });

    it('answers If-None-Match: * with 304', async () => {
      const res = await adminList(user.username, {}, { 'If-None-Match': '*' });
      assert.equal(res.status, 304);
      assert.ok(!res.text);
    });

    it('matches the ETag in a list of tags, and weakly (RFC 9110 §13.1.2)', async () => {
      const etag = await etagOf(user.username);
      const inList = await adminList(user.username, {}, { 'If-None-Match': `"other", ${etag}` });
      assert.equal(inList.status, 304);
      const weak = await adminList(user.username, {}, { 'If-None-Match': `W/${etag}` });
      assert.equal(weak.status, 304);
    });

    it('answers a non-matching If-None-Match with 200 and the list', async () => {
      const etag = await etagOf(user.username);
      for (const tag of ['"not-the-etag"', `"${etag.slice(1, -1)}x"`]) {
        const res = await adminList(user.username, {}, { 'If-None-Match': tag });
        assert.equal(res.status, 200);
        assert.equal(res.headers.etag, etag);
        assert.equal((res.body as ListEntry[]).length, 4);
      }
    });

    it('does not change as expires_in counts down', async () => {
      const first = await adminList(user.username);
      await sleep(1100);
      const second = await adminList(user.username);
      assert.equal(second.headers.etag, first.headers.etag);
      // The wait was long enough to change expires_in: the tag names the set of tokens.
      const before = (first.body as ListEntry[])[0];
      const later = (second.body as ListEntry[])[0];
      assert.ok(before && later && later.expires_in < before.expires_in);
      const conditional = await adminList(
        user.username,
        {},
        { 'If-None-Match': first.headers.etag as string },
      );
      assert.equal(conditional.status, 304);
    });

    it("does not change when another user's token is issued or revoked", async () => {
      const etag = await etagOf(user.username);
      const countEtag = await etagOf(user.username, { counts_only: 'true' });
      const other = await createUser(t);
      const otherSession = await login(t, superClient, other);
      await authorizeAndExchange(t, { session: otherSession, client: stats });
      const [otherHandle] = await handlesOf(other.username, { client_id: stats.client_id });
      assert.ok(otherHandle);
      assert.equal((await adminDelete(other.username, otherHandle)).status, 204);
      assert.equal(await etagOf(user.username), etag);
      assert.equal(await etagOf(user.username, { counts_only: 'true' }), countEtag);
    });

    it('changes when a token is issued for the user', async () => {
      const etag = await etagOf(user.username);
      const countEtag = await etagOf(user.username, { counts_only: 'true' });
      const filteredEtag = await etagOf(user.username, { client_id: stats.client_id });
      await authorizeAndExchange(t, { session, client: stats });
      const changed = await etagOf(user.username);
      assert.notEqual(changed, etag);
      assert.notEqual(await etagOf(user.username, { counts_only: 'true' }), countEtag);
      assert.notEqual(await etagOf(user.username, { client_id: stats.client_id }), filteredEtag);
      const stale = await adminList(user.username, {}, { 'If-None-Match': etag });
      assert.equal(stale.status, 200);
      assert.equal((stale.body as ListEntry[]).length, 6);
      const fresh = await adminList(user.username, {}, { 'If-None-Match': changed });
      assert.equal(fresh.status, 304);
    });

    it('changes when a token is revoked, by the admin API or by its client', async () => {
      const etag = await etagOf(user.username);
      const [pdfAccess] = await handlesOf(user.username, {
        client_id: pdf.client_id,
        token_type: 'access_token',
      });
      assert.ok(pdfAccess);
      assert.equal((await adminDelete(user.username, pdfAccess)).status, 204);
      const afterAdmin = await etagOf(user.username);
      assert.notEqual(afterAdmin, etag);
      assert.equal((await adminList(user.username, {}, { 'If-None-Match': etag })).status, 200);

      // The client revokes its own token (RFC 7009).
      const issued = await authorizeAndExchange(t, { session, client: stats });
      const beforeClientRevoke = await etagOf(user.username);
      const revoke = await t
        .http()
        .post('/oauth2/revoke')
        .set('Authorization', clientBasic(stats))
        .type('form')
        .send({ token: issued.access_token });
      assert.equal(revoke.status, 200, revoke.text);
      const afterClientRevoke = await etagOf(user.username);
      assert.notEqual(afterClientRevoke, beforeClientRevoke);
      assert.equal(
        (await adminList(user.username, {}, { 'If-None-Match': beforeClientRevoke })).status,
        200,
      );
    });

    it('changes when a token expires', async () => {
      const etag = await etagOf(user.username);
      const [first] = await handlesOf(user.username, { client_id: pdf.client_id });
      assert.ok(first);
      await t.dataSource
        .getRepository(Token)
        .update({ handle: first }, { expiresAt: new Date(Date.now() - 1000) });
      assert.notEqual(await etagOf(user.username), etag);
    });
  });

  describe('DELETE /admin/users/{username}/tokens/{handle}', () => {
    it('revokes the token: 204, revokedAt set, gone from the list', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      await authorizeAndExchange(t, { session, client: pdf });
      const [handle] = await handlesOf(user.username, {
        client_id: pdf.client_id,
        token_type: 'access_token',
      });
      assert.ok(handle);
      const res = await adminDelete(user.username, handle);
      assert.equal(res.status, 204, res.text);
      assert.ok(!res.text);
      const [row] = await tokenRows({ handle });
      assert.ok(row?.revokedAt instanceof Date);
      const listed = await handlesOf(user.username);
      assert.ok(!listed.includes(handle));
      assert.equal(listed.length, 3);
      // The super client's session is untouched.
      assert.equal((await listTokens(t, superClient, bearer(session.access_token))).status, 200);
    });

    it('revokes the super client session too, which then stops authenticating the user', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      assert.equal((await listTokens(t, superClient, bearer(session.access_token))).status, 200);
      const [handle] = await handlesOf(user.username, {
        client_id: superClient.client_id,
        token_type: 'access_token',
      });
      assert.ok(handle);
      assert.equal((await adminDelete(user.username, handle)).status, 204);
      const refused = await listTokens(t, superClient, bearer(session.access_token));
      expectError(refused, 401, 'invalid_token');
    });

    it("revoking a refresh token's handle also revokes the access tokens issued with it", async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      // Two grants to one client: only the grant of the revoked refresh token may go.
      await authorizeAndExchange(t, { session, client: pdf });
      await authorizeAndExchange(t, { session, client: pdf });
      const rows = await tokenRows({ username: user.username, clientId: pdf.client_id });
      assert.equal(rows.length, 4);
      const [target, survivor] = rows.filter((r) => r.type === 'refresh_token');
      assert.ok(target && survivor);
      const accessOf = (refreshHandle: string) =>
        rows
          .filter((r) => r.type === 'access_token' && r.refreshTokenHandle === refreshHandle)
          .map((r) => r.handle);
      assert.equal(accessOf(target.handle).length, 1);

      const res = await adminDelete(user.username, target.handle);
      assert.equal(res.status, 204, res.text);

      const afterRows = await tokenRows({ username: user.username });
      const revoked = afterRows.filter((r) => r.revokedAt !== null).map((r) => r.handle);
      assert.deepEqual(revoked.sort(), [target.handle, ...accessOf(target.handle)].sort());
      assert.deepEqual(
        (await handlesOf(user.username, { client_id: pdf.client_id })).sort(),
        [survivor.handle, ...accessOf(survivor.handle)].sort(),
      );
    });

    it("answers 204 for another user's handle under this username and changes nothing", async () => {
      const [bobHandle] = await handlesOf(bob.username, { client_id: pdf.client_id });
      assert.ok(bobHandle);
      const aliceBefore = await handlesOf(alice.username);
      const res = await adminDelete(alice.username, bobHandle);
      assert.equal(res.status, 204, res.text);
      const [row] = await tokenRows({ handle: bobHandle });
      assert.equal(row?.revokedAt, null);
      assert.ok((await handlesOf(bob.username)).includes(bobHandle));
      assert.deepEqual(await handlesOf(alice.username), aliceBefore);
    });

    it('answers 204 for an unknown handle, or an unknown user, and changes nothing', async () => {
      const before = await liveRowCount();
      const [aliceHandle] = await handlesOf(alice.username);
      assert.ok(aliceHandle);
      for (const [username, handle] of [
        [alice.username, randomBytes(16).toString('base64url')],
        [alice.username, 'x'],
        [`nobody-${randomBytes(4).toString('hex')}`, aliceHandle],
      ] as const) {
        const res = await adminDelete(username, handle);
        assert.equal(res.status, 204, res.text);
      }
      assert.equal(await liveRowCount(), before);
    });

    it('answers 204 for a handle that is already revoked', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      await authorizeAndExchange(t, { session, client: stats });
      const [handle] = await handlesOf(user.username, { client_id: stats.client_id });
      assert.ok(handle);
      assert.equal((await adminDelete(user.username, handle)).status, 204);
      const [first] = await tokenRows({ handle });
      assert.equal((await adminDelete(user.username, handle)).status, 204);
      const [second] = await tokenRows({ handle });
      assert.equal(second?.revokedAt?.getTime(), first?.revokedAt?.getTime());
    });
  });

  describe('DELETE /admin/users/{username}/tokens', () => {
    it("revokes every token of the user and leaves other users' tokens alone", async () => {
      const carol = await createUser(t);
      const dave = await createUser(t);
      const carolSession = await login(t, superClient, carol);
      const daveSession = await login(t, superClient, dave);
      await authorizeAndExchange(t, { session: carolSession, client: pdf });
      await authorizeAndExchange(t, { session: carolSession, client: script });
      await authorizeAndExchange(t, { session: daveSession, client: pdf });
      const daveBefore = await handlesOf(dave.username);
      assert.equal(daveBefore.length, 4);
      assert.equal((await handlesOf(carol.username)).length, 5);

      const res = await adminDelete(carol.username);
      assert.equal(res.status, 204, res.text);
      assert.ok(!res.text);

      const carolRows = await tokenRows({ username: carol.username });
      assert.equal(carolRows.length, 5);
      assert.ok(carolRows.every((r) => r.revokedAt instanceof Date));
      const carolList = await adminList(carol.username);
      assert.deepEqual(carolList.body, []);
      assert.equal(carolList.headers['x-total-count'], '0');
      expectError(
        await listTokens(t, superClient, bearer(carolSession.access_token)),
        401,
        'invalid_token',
      );

      assert.deepEqual(await handlesOf(dave.username), daveBefore);
      const daveRows = await tokenRows({ username: dave.username });
      assert.ok(daveRows.every((r) => r.revokedAt === null));
      assert.equal(
        (await listTokens(t, superClient, bearer(daveSession.access_token))).status,
        200,
      );
    });

    it('answers 204 for a user without tokens and for an unknown username, changing nothing', async () => {
      const before = await liveRowCount();
      const quiet = await createUser(t);
      for (const username of [quiet.username, `nobody-${randomBytes(4).toString('hex')}`]) {
        const res = await adminDelete(username);
        assert.equal(res.status, 204, res.text);
      }
      assert.equal(await liveRowCount(), before);
    });

    it('leaves client-credentials tokens (no user) alone', async () => {
      const cc = await t
        .http()
        .post('/oauth2/token')
        .set('Authorization', clientBasic(pdf))
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'search' });
      assert.equal(cc.status, 200, cc.text);
      const user = await createUser(t);
      await login(t, superClient, user);
      assert.equal((await adminDelete(user.username)).status, 204);
      const ccRows = await tokenRows({ username: IsNull(), clientId: pdf.client_id });
      assert.ok(ccRows.length >= 1);
      assert.ok(ccRows.every((r) => r.revokedAt === null));
    });
  });

  describe('admin client authentication', () => {
    /** A second admin client whose secret the wrong-secret tests guess at. */
    let victimAdmin: TestClient;
    let otherSuper: TestClient;
    let publicClient: TestClient;
    let target: TestUser;

    before(async () => {
      victimAdmin = await createClient(t, { isAdmin: true });
      otherSuper = await createSuperClient(t);
      publicClient = await createClient(t, { type: 'PUBLIC' });
      target = await createUser(t);
      const session = await login(t, superClient, target);
      await authorizeAndExchange(t, { session, client: pdf });
    });

    const targetLiveRows = async () =>
      (await tokenRows({ username: target.username })).filter((r) => r.revokedAt === null).length;

    const routes = () => [
      {
        name: 'GET',
        send: (authorization: string | null) => adminList(target.username, {}, {}, authorization),
      },
      {
        name: 'DELETE one',
        send: async (authorization: string | null) => {
          const [row] = await tokenRows({ username: target.username, revokedAt: IsNull() });
          assert.ok(row);
          return adminDelete(target.username, row.handle, authorization);
        },
      },
      {
        name: 'DELETE all',
        send: (authorization: string | null) =>
          adminDelete(target.username, undefined, authorization),
      },
    ];

    it('refuses a missing Authorization header with 401 invalid_client and a Basic challenge', async () => {
      for (const route of routes()) {
        const res = await route.send(null);
        expectBasicChallenge(res);
      }
      assert.equal(await targetLiveRows(), 4);
    });

    it('refuses a wrong secret with 401 invalid_client and a Basic challenge', async () => {
      for (const route of routes()) {
        const res = await route.send(
          basicAuth(victimAdmin.client_id, `${victimAdmin.client_secret ?? ''}x`),
        );
        expectBasicChallenge(res);
      }
      assert.equal(await targetLiveRows(), 4);
    });

    it('refuses an unknown client with the same 401 as a wrong secret', async () => {
      const unknown = await adminList(
        target.username,
        {},
        {},
        basicAuth(`no-such-client-${randomBytes(4).toString('hex')}`, 'secret'),
      );
      expectBasicChallenge(unknown);
      const wrong = await adminList(
        target.username,
        {},
        {},
        basicAuth(victimAdmin.client_id, 'not-the-secret'),
      );
      expectBasicChallenge(wrong);
      assert.equal(
        (unknown.body as { error_description: string }).error_description,
        (wrong.body as { error_description: string }).error_description,
      );
    });

    it('refuses a Bearer token instead of Basic with 401 invalid_client', async () => {
      const cc = await t
        .http()
        .post('/oauth2/token')
        .set('Authorization', clientBasic(admin))
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'search' });
      assert.equal(cc.status, 200, cc.text);
      for (const token of [(cc.body as TokenResponse).access_token, aliceSession.access_token]) {
        for (const route of routes()) {
          const res = await route.send(bearer(token));
          expectBasicChallenge(res);
        }
      }
      assert.equal(await targetLiveRows(), 4);
    });

    it('refuses malformed Basic credentials with 401 invalid_client', async () => {
      for (const header of [
        'Basic',
        'Basic !!!',
        `Basic ${Buffer.from('nocolon').toString('base64')}`,
      ]) {
        expectBasicChallenge(await adminList(target.username, {}, {}, header));
      }
    });

    it('refuses a public client (no secret) with 401 invalid_client', async () => {
      expectBasicChallenge(
        await adminList(target.username, {}, {}, basicAuth(publicClient.client_id, '')),
      );
    });

    it('refuses a super client that is not admin with 403', async () => {
      for (const route of routes()) {
        const res = await route.send(clientBasic(otherSuper));
        expectError(res, 403, 'unauthorized_client');
      }
      assert.equal(await targetLiveRows(), 4);
    });

    it('refuses a plain confidential client with 403', async () => {
      for (const route of routes()) {
        const res = await route.send(clientBasic(pdf));
        expectError(res, 403, 'unauthorized_client');
      }
      assert.equal(await targetLiveRows(), 4);
    });

    it("accepts the other admin client's right secret (control case)", async () => {
      const res = await adminList(target.username, {}, {}, clientBasic(victimAdmin));
      assert.equal(res.status, 200, res.text);
      assert.equal((res.body as ListEntry[]).length, 4);
    });
  });
});
