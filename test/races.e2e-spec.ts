import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { Response, Test } from 'supertest';
import { digestSecret } from '../src/auth/secrets';
import { AuthorizationCode } from '../src/authorization/authorization-code.entity';
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
import { basicAuth, bearer, startTestApp, type TestApp } from './support/test-app';

/** One HTTP answer, with when (on this process's clock) it was asked and answered. */
interface Timed {
  status: number;
  body: Response['body'];
  startedAt: number;
  answeredAt: number;
}

async function timed(req: Test): Promise<Timed> {
  const startedAt = performance.now();
  const res = await req;
  return { status: res.status, body: res.body, startedAt, answeredAt: performance.now() };
}

/** How far an answer may overtake an earlier-ordered one on its way through the event loop. */
const SCHEDULING_SLACK_MS = 10;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** "200 x1, 400 invalid_grant x19": what came back, for assertion messages. */
function tally(answers: readonly Timed[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = `${a.status}${typeof a.body?.error === 'string' ? ` ${a.body.error}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${key} x${n}`).join(', ');
}

function assertOneWinner(answers: readonly Timed[]): Timed {
  const winners = answers.filter((a) => a.status === 200);
  assert.equal(winners.length, 1, `expected exactly one 200, got ${tally(answers)}`);
  for (const loser of answers.filter((a) => a.status !== 200)) {
    assert.equal(loser.status, 400, tally(answers));
    assert.equal(loser.body.error, 'invalid_grant', tally(answers));
  }
  const [winner] = winners;
  assert.ok(winner);
  return winner;
}

describe('races: concurrent requests settled by the database', () => {
  let t: TestApp;
  let superClient: TestClient;
  let client: TestClient;

  before(async () => {
    // Reuse detection as RFC 9700 §4.14.2 has it; the grace Kalamar needs: kalamar.e2e-spec.ts.
    // The throttle at its default: more concurrent secret checks of one client than
    // RATE_LIMIT_MAX_FAILURES must not meet a 429 (they once did, on MariaDB under load).
    t = await startTestApp({ REFRESH_TOKEN_REUSE_GRACE: '0' });
    superClient = await createSuperClient(t);
    // Also the resource server that introspects its tokens.
    client = await createClient(t, { mayIntrospect: true });
  });
  after(() => t.close());

  const tokens = () => t.dataSource.getRepository(Token);
  const byRaw = (raw: string) => tokens().findOneBy({ digest: digestSecret(raw) });

  const exchange = (code: string) =>
    t
      .http()
      .post('/oauth2/token')
      .set('Authorization', clientBasic(client))
      .type('form')
      .send({ grant_type: 'authorization_code', code });
  const refresh = (refreshToken: string) =>
    t
      .http()
      .post('/oauth2/token')
      .set('Authorization', clientBasic(client))
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: refreshToken });
  const superForm = () => ({
    super_client_id: superClient.client_id,
    super_client_secret: superClient.client_secret ?? '',
  });

  /** A new user logged in through the super client, so tests never see each other's tokens. */
  async function newSession(): Promise<TokenResponse> {
    return login(t, superClient, await createUser(t));
  }

  it('20 parallel redemptions of one code: one 200, the rest invalid_grant, and the replay revokes what the one issued', async () => {
    const session = await newSession();
    const code = await authorizeCode(t, { session, client });

    const answers = await Promise.all(Array.from({ length: 20 }, () => timed(exchange(code))));
    const issued = assertOneWinner(answers).body as TokenResponse;
    assert.ok(issued.access_token && issued.refresh_token);

    const codeRow = await t.dataSource
      .getRepository(AuthorizationCode)
      .findOneByOrFail({ digest: digestSecret(code) });
    assert.ok(codeRow.redeemedAt, 'the code is marked redeemed');
    // Exactly the one success's pair was written, and the replays revoked it.
    const family = await tokens().findBy({ familyId: codeRow.familyId });
    assert.deepEqual(
      family.map((row) => row.digest).sort(),
      [digestSecret(issued.access_token), digestSecret(issued.refresh_token)].sort(),
      'the family holds exactly the tokens of the one success',
    );
    for (const row of family) assert.ok(row.revokedAt, `${row.type} ${row.handle} is revoked`);

    // And the service refuses them.
    const introspected = await t
      .http()
      .post('/oauth2/introspect')
      .set('Authorization', clientBasic(client))
      .type('form')
      .send({ token: issued.access_token });
    assert.deepEqual(introspected.body, { active: false });
    const refreshed = await refresh(issued.refresh_token);
    assert.equal(refreshed.status, 400);
    assert.equal(refreshed.body.error, 'invalid_grant');
  });

  it('20 parallel refreshes of one refresh token without a reuse grace: one 200, the rest invalid_grant, and the family ends revoked', async () => {
    const session = await newSession();
    const original = await authorizeAndExchange(t, { session, client });
    const originalRefresh = original.refresh_token ?? '';
    const originalRow = await byRaw(originalRefresh);
    assert.ok(originalRow);

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => timed(refresh(originalRefresh))),
    );
    const rotated = assertOneWinner(answers).body as TokenResponse;
    assert.ok(rotated.refresh_token && rotated.refresh_token !== originalRefresh);

    const family = await tokens().findBy({ familyId: originalRow.familyId });
    // The original pair and the one rotated pair: no loser wrote anything.
    assert.deepEqual(
      family.map((row) => row.digest).sort(),
      [original.access_token, originalRefresh, rotated.access_token, rotated.refresh_token]
        .map(digestSecret)
        .sort(),
    );
    const live = family.filter((row) => row.revokedAt === null);
    assert.deepEqual(
      live.map((row) => `${row.type} ${row.handle}`),
      [],
      'no token of the family is live after the reuse',
    );
    const again = await refresh(rotated.refresh_token);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
  });

  it('revoke-all racing with refreshes and code exchanges of the same user and client leaves nothing issued before it answered live', async (context) => {
    // Every violation of every round, so that one failure shows all that went wrong.
    const problems: string[] = [];
    // Each round moves the revoke-all to a different point in the stream of issuances.
    for (const [round, revokeAfterMs] of [0, 5, 10, 20, 30, 45].entries()) {
      const session = await newSession();
      const { username } = await tokens().findOneByOrFail({
        digest: digestSecret(session.access_token),
      });
      const preexisting: TokenResponse[] = [];
      for (let i = 0; i < 8; i++) {
        preexisting.push(await authorizeAndExchange(t, { session, client }));
      }
      const codes: string[] = [];
      for (let i = 0; i < 8; i++) codes.push(await authorizeCode(t, { session, client }));

      const revokeAll = () =>
        timed(
          t
            .http()
            .post('/oauth2/revoke/super/all')
            .set('Authorization', bearer(session.access_token))
            .type('form')
            .send({ ...superForm(), client_id: client.client_id }),
        );
      // The issuances, a refresh and a code exchange every few milliseconds, with the
      // revoke-all sent among them.
      const issuances: Promise<Timed & { grant: string }>[] = [];
      const issue = (grant: string, req: Test) =>
        issuances.push(timed(req).then((answer) => ({ ...answer, grant })));
      let revoke: Promise<Timed> | undefined;
      const started = performance.now();
      for (let i = 0; i < 8; i++) {
        if (revoke === undefined && performance.now() - started >= revokeAfterMs) {
          revoke = revokeAll();
        }
        issue('refresh', refresh(preexisting[i]?.refresh_token ?? ''));
        issue('code exchange', exchange(codes[i] ?? ''));
        await sleep(3);
      }
      revoke ??= sleep(Math.max(0, revokeAfterMs - (performance.now() - started))).then(revokeAll);
      const [revoked, answers] = await Promise.all([revoke, Promise.all(issuances)]);
      const where = `round ${round} (revoke-all after ${revokeAfterMs} ms)`;
      for (const answer of answers) {
        if (answer.status === 200) continue;
        if (answer.status === 400 && answer.body.error === 'invalid_grant') continue;
        problems.push(
          `${where}: a ${answer.grant} answered ${answer.status} ${JSON.stringify(answer.body)}`,
        );
      }
      const liveRows = await tokens()
        .createQueryBuilder('t')
        .where('t.username = :username AND t.client_id = :clientId', {
          username,
          clientId: client.client_id,
        })
        .andWhere('t.revoked_at IS NULL')
        .getMany();
      if (revoked.status !== 200) {
        problems.push(
          `${where}: revoke-all answered ${revoked.status} ${JSON.stringify(revoked.body)}; ${liveRows.length} tokens of the user and client are live`,
        );
        continue;
      }

      const digests = (answer: Timed) => {
        const issued = answer.body as TokenResponse;
        return [issued.access_token, issued.refresh_token]
          .filter((raw): raw is string => !!raw)
          .map(digestSecret);
      };
      const live = new Set(liveRows.map((row) => row.digest));
      // Issued before the race: every one revoked.
      for (const issued of preexisting) {
        for (const raw of [issued.access_token, issued.refresh_token]) {
          if (raw && live.has(digestSecret(raw))) {
            problems.push(`${where}: a token issued before the race is live`);
          }
        }
      }
      // An issuance that overlaps the revoke-all may be ordered after it, and its answer can
      // overtake the revoke-all's by a scheduling hair; only those that answered clearly
      // before the revoke-all did count as issued before it.
      const count = { before: 0, during: 0, overtaking: 0, after: 0 };
      const mayBeLive = new Set<string>();
      for (const answer of answers.filter((a) => a.status === 200)) {
        let when: string;
        if (answer.answeredAt < revoked.startedAt) {
          count.before++;
          when = 'answered before revoke-all started';
        } else if (answer.answeredAt < revoked.answeredAt - SCHEDULING_SLACK_MS) {
          count.during++;
          when = `answered ${(revoked.answeredAt - answer.answeredAt).toFixed(1)} ms before revoke-all did`;
        } else {
          if (answer.answeredAt < revoked.answeredAt) count.overtaking++;
          else count.after++;
          for (const digest of digests(answer)) mayBeLive.add(digest);
          continue;
        }
        for (const digest of digests(answer)) {
          if (live.has(digest))
            problems.push(`${where}: a token of a ${answer.grant} ${when} is live`);
        }
      }
      // And in the database, nothing of this user and client is live but what may be: no
      // write that no answer told of survived the revoke-all either.
      for (const row of liveRows.filter((r) => !mayBeLive.has(r.digest))) {
        problems.push(
          `${where}: ${row.type} ${row.handle} is live, and nothing issued it after revoke-all`,
        );
      }
      context.diagnostic(
        `${where}: issuances answered before it started ${count.before}, while it ran ${count.during}, within ${SCHEDULING_SLACK_MS} ms before its answer ${count.overtaking}, after ${count.after}; ${tally(answers)}`,
      );
    }
    assert.deepEqual(problems, []);
  });

  for (const type of ['access_token', 'refresh_token'] as const) {
    it(`never lists a ${type} handle once /oauth2/revoke/super for it has answered`, async () => {
      const session = await newSession();
      for (let i = 0; i < 3; i++) await authorizeAndExchange(t, { session, client });
      const list = (tokenType: string) =>
        listTokens(t, superClient, bearer(session.access_token), { token_type: tokenType });
      const handlesOf = (answer: Timed) =>
        (answer.body as Array<{ token: string }>).map((entry) => entry.token);

      const [target, ...others] = handlesOf(await timed(list(type)));
      assert.ok(target && others.length === 2);
      // Revoking a refresh token takes the access token issued with it along.
      const targetRow = await tokens().findOneByOrFail({ handle: target });
      const companions = (await tokens().findBy({ refreshTokenHandle: targetRow.handle })).map(
        (row) => row.handle,
      );

      const revoke = timed(
        t
          .http()
          .post('/oauth2/revoke/super')
          .set('Authorization', bearer(session.access_token))
          .type('form')
          .send({ ...superForm(), token: target }),
      );
      let revokeAnsweredAt = Infinity;
      void revoke.then((answer) => (revokeAnsweredAt = answer.answeredAt));
      const lists: Promise<Timed>[] = [];
      let launchedAfter = 0;
      const deadline = performance.now() + 10_000;
      while (launchedAfter < 30 && performance.now() < deadline) {
        const answered = revokeAnsweredAt !== Infinity;
        lists.push(timed(list(type)));
        if (companions.length > 0) lists.push(timed(list('access_token')));
        if (answered) launchedAfter++;
        await sleep(1);
      }
      const revoked = await revoke;
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      const answers = await Promise.all(lists);
      const later = answers.filter((a) => a.startedAt > revoked.answeredAt);
      assert.ok(later.length >= 30, `only ${later.length} lists started after the revoke answered`);
      for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
      for (const answer of later) {
        const handles = handlesOf(answer);
        assert.ok(!handles.includes(target), 'a list started after the revoke answered shows it');
        for (const companion of companions) {
          assert.ok(
            !handles.includes(companion),
            'a list started after the revoke answered shows an access token issued with it',
          );
        }
      }
      // The others were never touched.
      const final = handlesOf(await timed(list(type)));
      assert.deepEqual(final, others);
    });
  }
});

/** One answer over a plain HTTP connection of its own, from `localAddress` when given. */
interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  ms: number;
}

function send(
  base: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string },
  localAddress?: string,
): Promise<RawAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${options.path}`,
      { method: options.method, headers: options.headers, agent: false, localAddress },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {},
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Resolves once `count` of `answers` have settled (whatever they settled to). */
function settledCount(answers: ReadonlyArray<Promise<unknown>>, count: number): Promise<void> {
  let settled = 0;
  return new Promise((resolve) => {
    if (count <= 0) resolve();
    for (const answer of answers) {
      void answer.finally(() => {
        if (++settled === count) resolve();
      });
    }
  });
}

function statusTally(answers: readonly RawAnswer[]): string {
  const counts = new Map<number, number>();
  for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${status} x${n}`).join(', ');
}

/**
 * The app listening on 127.0.0.1 (every 127.x address reaches it on Linux), so that a test can
 * send from two source addresses: 127.0.0.1 and 127.0.0.2.
 */
async function listen(t: TestApp): Promise<string> {
  const server = t.app.getHttpServer() as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('races: the failure throttle and the password-check queue under concurrency', () => {
  const MAX_FAILURES = 10;

  describe('concurrent wrong passwords for one user', () => {
    let t: TestApp;
    let base: string;
    let superClient: TestClient;

    before(async () => {
      // One check at a time makes the window in which checks run concurrently long.
      t = await startTestApp({
        RATE_LIMIT_MAX_FAILURES: String(MAX_FAILURES),
        PASSWORD_CHECK_CONCURRENCY: '1',
      });
      base = await listen(t);
      superClient = await createSuperClient(t);
    });
    after(() => t.close());

    it(`lets at most RATE_LIMIT_MAX_FAILURES of 50 concurrent logins fail: 10 x 401, then 429 before any hashing, the right password included`, async () => {
      const user = await createUser(t);
      const listAs = (password: string) =>
        send(base, {
          method: 'POST',
          path: '/oauth2/token/list',
          headers: {
            Authorization: basicAuth(user.username, password),
            'Content-Type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({
            super_client_id: superClient.client_id,
            super_client_secret: superClient.client_secret ?? '',
            token_type: 'access_token',
          }).toString(),
        });
      const wrong = Array.from({ length: 49 }, (_, i) => listAs(`wrong-${i}`));
      // The right password comes last, while the wrong ones are still being checked: once 39
      // have been answered (refused at once with the throttle in place), ten are in the queue.
      await settledCount(wrong, 49 - MAX_FAILURES);
      const right = await listAs(user.password);
      const answers = await Promise.all(wrong);
      assert.equal(
        answers.filter((a) => a.status === 401).length,
        MAX_FAILURES,
        statusTally(answers),
      );
      assert.equal(answers.filter((a) => a.status === 429).length, 49 - MAX_FAILURES);
      for (const refused of answers.filter((a) => a.status === 429)) {
        assert.match(String(refused.headers['retry-after']), /^\d+$/);
      }
      assert.equal(right.status, 429, `the right password after ${statusTally(answers)}`);
      // Ten failures are counted: the right password is still refused for the window.
      assert.equal((await listAs(user.password)).status, 429);
    });
  });

  describe('many right passwords at once', () => {
    let t: TestApp;
    let base: string;
    let superClient: TestClient;

    before(async () => {
      t = await startTestApp({ RATE_LIMIT_MAX_FAILURES: String(MAX_FAILURES) });
      base = await listen(t);
      superClient = await createSuperClient(t);
    });
    after(() => t.close());

    it('throttles nobody for their own concurrency: 15 token lists at once with the right password all answer 200', async () => {
      const user = await createUser(t);
      const list = () =>
        send(base, {
          method: 'POST',
          path: '/oauth2/token/list',
          headers: {
            Authorization: basicAuth(user.username, user.password),
            'Content-Type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({
            super_client_id: superClient.client_id,
            super_client_secret: superClient.client_secret ?? '',
            token_type: 'access_token',
          }).toString(),
        });
      // More checks running at once than failures allowed: the ones past the limit wait for
      // running ones to succeed rather than being refused.
      const answers = await Promise.all(Array.from({ length: MAX_FAILURES + 5 }, list));
      assert.deepEqual(
        answers.map((a) => a.status),
        answers.map(() => 200),
        statusTally(answers),
      );
    });
  });

  describe('a burst of 400 logins from one source', () => {
    let t: TestApp;
    let base: string;
    let superClient: TestClient;
    let confidential: TestClient;
    let alice: TestUser;

    before(async () => {
      t = await startTestApp({
        RATE_LIMIT_MAX_FAILURES: String(MAX_FAILURES),
        REQUEST_TIMEOUT: '8s',
      });
      base = await listen(t);
      superClient = await createSuperClient(t);
      confidential = await createClient(t);
      alice = await createUser(t);
    });
    after(() => t.close());

    it('answers 401, 429 or an immediate 503 to each, counts every failed check, and lets another address log in meanwhile', async (context) => {
      const authorizeAs = (n: number) =>
        send(base, {
          method: 'GET',
          path: `/oauth2/authorize?response_type=code&scope=search&client_id=${confidential.client_id}`,
          headers: { Authorization: basicAuth(`u${n}`, 'x') },
        });
      const burst = Array.from({ length: 400 }, (_, n) => authorizeAs(n));
      // A legitimate login through the super client from another address, in the middle of it.
      await settledCount(burst, 50);
      const login = await send(
        base,
        {
          method: 'POST',
          path: '/oauth2/token',
          headers: {
            Authorization: clientBasic(superClient),
            'Content-Type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({
            grant_type: 'password',
            username: alice.username,
            password: alice.password,
          }).toString(),
        },
        '127.0.0.2',
      );
      const answers = await Promise.all(burst);
      context.diagnostic(
        `burst: ${statusTally(answers)}; the other address's login: ${login.status} in ${Math.round(login.ms)} ms`,
      );
      assert.equal(login.status, 200, JSON.stringify(login.body));

      for (const answer of answers) {
        assert.ok([401, 429, 503].includes(answer.status), statusTally(answers));
        if (answer.status === 503) {
          // Refused by the full queue, at once: never the answer given at REQUEST_TIMEOUT.
          assert.equal(answer.body.error, 'temporarily_unavailable');
          assert.match(String(answer.body.error_description), /passwords are being checked/);
          assert.match(String(answer.headers['retry-after']), /^\d+$/);
        }
      }
      // The source as a whole may fail ten times RATE_LIMIT_MAX_FAILURES checks in the window:
      // every check that failed in the burst was counted, so exactly the rest are left.
      const failed = answers.filter((a) => a.status === 401).length;
      assert.ok(failed > 0 && failed <= 10 * MAX_FAILURES, statusTally(answers));
      // Probes eight at a time (the queue holds them all): each fails until the limit is met.
      let left = 0;
      for (let n = 1000, blocked = false; !blocked; n += 8) {
        const probes = await Promise.all(Array.from({ length: 8 }, (_, i) => authorizeAs(n + i)));
        for (const probe of probes)
          assert.ok([401, 429].includes(probe.status), String(probe.status));
        left += probes.filter((p) => p.status === 401).length;
        blocked = probes.some((p) => p.status === 429);
      }
      assert.equal(failed + left, 10 * MAX_FAILURES);
    });
  });
});
