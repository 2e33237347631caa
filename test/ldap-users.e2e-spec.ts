import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'ldapts';
import { digestSecret } from '../src/auth/secrets';
import { Token } from '../src/tokens/token.entity';
import { loginFilter } from '../src/users/ldap-filter';
import { User } from '../src/users/user.entity';
import { UserRepository } from '../src/users/user.repository';
import { expectOAuthError } from './support/assertions';
import {
  clientBasic,
  createClient,
  createSuperClient,
  listTokens,
  type TestClient,
  type TokenResponse,
} from './support/factories';
import {
  credentialsLines,
  freePort,
  MAIN_JS,
  runCli,
  runNode,
  type RunningServer,
  startServer,
} from './support/processes';
import {
  PEOPLE,
  PEOPLE_IN_DIRECTORY as people,
  SEARCH_FILTER,
  SERVICE_DN,
  SERVICE_PASSWORD,
  slapdMissing,
  TestDirectory,
} from './support/slapd';
import { TcpProxy } from './support/tcp-proxy';
import {
  basicAuth,
  bearer,
  freshDatabaseUrl,
  startTestApp,
  type TestApp,
} from './support/test-app';

/** The local store's answers to a wrong password, which the directory's must equal. */
const WRONG_PASSWORD_GRANT = {
  error: 'invalid_grant',
  error_description: 'The username or password is wrong.',
};
const WRONG_PASSWORD_BASIC = {
  error: 'invalid_token',
  error_description: 'The username or password is wrong.',
};

/** Logins that try to widen the search filter (RFC 4515 metacharacters). */
const INJECTIONS = ['*', 'alice)(uid=*', '\\00', 'alice*', '*)(|(uid=*', '\\2a', '(uid=alice)'];

const skip = slapdMissing();

/** A super client of `t` logging `login` in with the password grant. */
function passwordGrant(t: TestApp, superClient: TestClient, login: string, password: string) {
  return t
    .http()
    .post('/oauth2/token')
    .set('Authorization', clientBasic(superClient))
    .type('form')
    .send({ grant_type: 'password', username: login, password });
}

async function loggedIn(
  t: TestApp,
  superClient: TestClient,
  login: string,
  password: string,
): Promise<TokenResponse> {
  const res = await passwordGrant(t, superClient, login, password);
  assert.equal(res.status, 200, `${login}: ${res.status} ${res.text}`);
  return res.body as TokenResponse;
}

/** A password grant that the directory refused exactly as the local store refuses a wrong password. */
async function expectWrongPassword(
  t: TestApp,
  superClient: TestClient,
  login: string,
  password: string,
): Promise<void> {
  const grant = await passwordGrant(t, superClient, login, password);
  expectOAuthError(grant, 400, 'invalid_grant');
  assert.deepEqual(grant.body, WRONG_PASSWORD_GRANT, login);
  const basic = await listTokens(t, superClient, basicAuth(login, password));
  expectOAuthError(basic, 401, 'invalid_token');
  assert.deepEqual(basic.body, WRONG_PASSWORD_BASIC, login);
  assert.equal(basic.headers['www-authenticate'], 'Basic realm="tokenvakt"');
}

function expectDirectoryUnavailable(res: Parameters<typeof expectOAuthError>[0]): void {
  expectOAuthError(res, 503, 'temporarily_unavailable');
  assert.equal(res.headers['retry-after'], '1');
}

/** A "directory" that accepts connections and reads what it is sent, but never answers. */
async function silentServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ldap://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('users in LDAP (README: Users in LDAP)', { skip }, () => {
  let directory: TestDirectory;
  before(async () => {
    directory = await TestDirectory.start();
  });
  after(() => directory?.close());

  describe('logging in', () => {
    let t: TestApp;
    let superClient: TestClient;
    let resourceServer: TestClient;
    before(async () => {
      t = await startTestApp(directory.env());
      superClient = await createSuperClient(t);
      resourceServer = await createClient(t, { redirectUri: undefined, mayIntrospect: true });
    });
    after(() => t?.close());

    const usernameOf = async (token: string): Promise<unknown> => {
      const res = await t
        .http()
        .post('/oauth2/introspect')
        .set('Authorization', clientBasic(resourceServer))
        .type('form')
        .send({ token });
      assert.equal(res.status, 200);
      assert.equal(res.body.active, true);
      return res.body.username;
    };
    const userIdOf = async (token: TokenResponse): Promise<number | null | undefined> =>
      (
        await t.dataSource
          .getRepository(Token)
          .findOneBy({ digest: digestSecret(token.access_token) })
      )?.userId;

    it('by uid, by e-mail or in other case: the same username in the token, the same local user, no password stored', async () => {
      const byUid = await loggedIn(t, superClient, 'alice', people.alice.password);
      const byMail = await loggedIn(t, superClient, 'alice@example.org', people.alice.password);
      const upperCase = await loggedIn(t, superClient, 'ALICE', people.alice.password);
      for (const session of [byUid, byMail, upperCase]) {
        assert.equal(await usernameOf(session.access_token), 'alice');
      }
      const rows = await t.dataSource.getRepository(User).findBy({ username: 'alice' });
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.passwordHash, null);
      for (const session of [byUid, byMail, upperCase]) {
        assert.equal(await userIdOf(session), rows[0]?.id);
      }
      // Basic with either login lists the same user's sessions.
      for (const login of ['alice', 'alice@example.org']) {
        const list = await listTokens(t, superClient, basicAuth(login, people.alice.password), {
          client_id: superClient.client_id,
        });
        assert.equal(list.status, 200, list.text);
      }
    });

    it('a name and a password beyond ASCII', async () => {
      const { uid, mail, password } = people.joerg;
      for (const login of [uid, mail]) {
        const session = await loggedIn(t, superClient, login, password);
        assert.equal(await usernameOf(session.access_token), 'jörg');
      }
      assert.equal((await listTokens(t, superClient, basicAuth(uid, password))).status, 200);
      await expectWrongPassword(t, superClient, uid, 'jörg-passwörd');
    });

    it('refuses a wrong password, an unknown login, an empty password, as the local store does', async () => {
      await expectWrongPassword(t, superClient, 'alice', 'alice-PW');
      await expectWrongPassword(t, superClient, 'alice@example.org', 'wrong');
      await expectWrongPassword(t, superClient, 'nobody', people.alice.password);
      await expectWrongPassword(t, superClient, 'nobody@example.org', 'x');
      // slapd here takes a DN with an empty password as an anonymous bind, "successfully".
      // In the password grant an empty password is no password (RFC 6749 §3.1): 400 before
      // the directory is asked; with Basic it is refused as a wrong one.
      const empty = await passwordGrant(t, superClient, 'alice', '');
      expectOAuthError(empty, 400, 'invalid_request');
      const basic = await listTokens(t, superClient, basicAuth('alice', ''));
      expectOAuthError(basic, 401, 'invalid_token');
      assert.deepEqual(basic.body, WRONG_PASSWORD_BASIC);
    });

    it('refuses an e-mail address two entries share, whichever password comes with it', async () => {
      await expectWrongPassword(t, superClient, 'shared@example.org', people.dave.password);
      await expectWrongPassword(t, superClient, 'shared@example.org', people.erin.password);
      // Each of them can still log in by uid.
      await loggedIn(t, superClient, 'dave', people.dave.password);
    });

    it('refuses a user the filter leaves out (blocked), with the right password', async () => {
      await expectWrongPassword(t, superClient, 'mallory', people.mallory.password);
      await expectWrongPassword(t, superClient, 'mallory@example.org', people.mallory.password);
    });

    it('refuses an entry whose uid cannot be a username, and makes no user of it', async () => {
      await expectWrongPassword(t, superClient, people.spaced.mail, people.spaced.password);
      assert.equal(await t.dataSource.getRepository(User).countBy({ username: 'bob smith' }), 0);
    });

    it('refuses filter injections like a wrong password; escaped, they match nobody', async () => {
      for (const login of INJECTIONS) {
        await expectWrongPassword(t, superClient, login, people.alice.password);
      }
      // The filter tokenvakt would send for each, asked of the directory as the service account.
      const client = new Client({ url: directory.url, timeout: 5000 });
      try {
        await client.bind(SERVICE_DN, SERVICE_PASSWORD);
        const found = async (filter: string) =>
          (await client.search(PEOPLE, { filter, attributes: ['uid'] })).searchEntries.length;
        for (const login of [...INJECTIONS, 'x\0', 'alice\0']) {
          assert.equal(await found(loginFilter(SEARCH_FILTER, login)), 0, login);
        }
        // Pasted in unescaped, the first would have matched everyone the filter lets through.
        assert.ok((await found(SEARCH_FILTER.replaceAll('{login}', '*'))) > 3);
      } finally {
        await client.unbind();
      }
      const users = await t.dataSource.getRepository(User).find();
      assert.deepEqual(
        users.map((u) => u.username).filter((n) => /[*()\\]/.test(n)),
        [],
      );
    });

    it('a first login racing another makes one user', async () => {
      const { uid, password } = people.erin;
      const grants = await Promise.all(
        Array.from({ length: 8 }, () => passwordGrant(t, superClient, uid, password)),
      );
      assert.deepEqual(
        grants.map((g) => g.status),
        Array.from({ length: 8 }, () => 200),
      );
      assert.equal(await t.dataSource.getRepository(User).countBy({ username: uid }), 1);
      // Over HTTP the directory's answers rarely arrive at the same moment; here ten first
      // lookups of one name do, and the unique index settles them.
      const repository = t.get(UserRepository);
      const rows = await Promise.all(
        Array.from({ length: 10 }, () => repository.findOrInsertWithoutPassword('racer')),
      );
      assert.equal(new Set(rows.map((row) => row.id)).size, 1);
      assert.equal(await t.dataSource.getRepository(User).countBy({ username: 'racer' }), 1);
    });

    it('/health/ready reports the directory', async () => {
      const ready = await t.http().get('/health/ready');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body, { status: 'ok', checks: { database: 'up', directory: 'up' } });
    });
  });

  describe('tokens of directory users', () => {
    let t: TestApp;
    let superClient: TestClient;
    let admin: TestClient;
    before(async () => {
      t = await startTestApp(directory.env());
      superClient = await createSuperClient(t);
      admin = await createClient(t, { isAdmin: true, redirectUri: undefined });
    });
    after(async () => {
      await directory.replace(people.carol.dn, 'employeeType', []);
      await t?.close();
    });

    const sessionWorks = async (session: TokenResponse): Promise<boolean> => {
      const res = await listTokens(t, superClient, bearer(session.access_token));
      return res.status === 200;
    };

    it('a user blocked in the directory cannot log in, but keeps the tokens they have until revoked', async () => {
      const { uid, password, dn } = people.carol;
      const session = await loggedIn(t, superClient, uid, password);
      await directory.replace(dn, 'employeeType', ['blocked']);
      await expectWrongPassword(t, superClient, uid, password);
      assert.equal(await sessionWorks(session), true);

      const listed = await t
        .http()
        .get(`/admin/users/${uid}/tokens?token_type=access_token`)
        .set('Authorization', clientBasic(admin));
      assert.equal(listed.status, 200);
      assert.equal(listed.headers['x-total-count'], '1');
      const revoked = await t
        .http()
        .delete(`/admin/users/${uid}/tokens`)
        .set('Authorization', clientBasic(admin));
      assert.equal(revoked.status, 204);
      assert.equal(await sessionWorks(session), false);
    });

    it('the admin API revokes one token of a directory user by handle', async () => {
      const first = await loggedIn(t, superClient, 'alice@example.org', people.alice.password);
      const second = await loggedIn(t, superClient, 'alice', people.alice.password);
      const listed = await t
        .http()
        .get('/admin/users/alice/tokens?token_type=access_token')
        .set('Authorization', clientBasic(admin));
      assert.equal(listed.status, 200);
      const handles = (listed.body as Array<{ token: string }>).map((entry) => entry.token);
      assert.equal(handles.length, 2);
      const res = await t
        .http()
        .delete(`/admin/users/alice/tokens/${handles[0]}`)
        .set('Authorization', clientBasic(admin));
      assert.equal(res.status, 204);
      assert.deepEqual([await sessionWorks(first), await sessionWorks(second)].sort(), [
        false,
        true,
      ]);
    });
  });

  describe('the throttle counts what the directory refused', () => {
    let t: TestApp;
    let superClient: TestClient;
    before(async () => {
      t = await startTestApp(directory.env({ RATE_LIMIT_MAX_FAILURES: '2' }));
      superClient = await createSuperClient(t);
    });
    after(() => t?.close());

    it('after two wrong passwords, the right one is refused with 429 too', async () => {
      const { uid, password } = people.dave;
      expectOAuthError(await passwordGrant(t, superClient, uid, 'wrong-1'), 400);
      expectOAuthError(await passwordGrant(t, superClient, uid, 'wrong-2'), 400);
      const refused = await passwordGrant(t, superClient, uid, password);
      expectOAuthError(refused, 429, 'too_many_requests');
      assert.ok(Number(refused.headers['retry-after']) > 0);
      // Unknown logins count as well.
      expectOAuthError(await passwordGrant(t, superClient, 'nobody', 'x'), 400);
      expectOAuthError(await passwordGrant(t, superClient, 'nobody', 'x'), 400);
      expectOAuthError(await passwordGrant(t, superClient, 'nobody', 'x'), 429);
    });
  });

  describe('when the directory is away', () => {
    let t: TestApp;
    let superClient: TestClient;
    let silent: Awaited<ReturnType<typeof silentServer>>;
    before(async () => {
      silent = await silentServer();
      t = await startTestApp(directory.env({ LDAP_TIMEOUT: '1s', RATE_LIMIT_MAX_FAILURES: '2' }));
      superClient = await createSuperClient(t);
    });
    after(async () => {
      await t?.close();
      await silent?.close();
      await directory.resume(); // when a test failed while it was stopped
    });

    it('a restart between logins goes unnoticed: a closed pooled connection is replaced', async () => {
      await loggedIn(t, superClient, 'alice', people.alice.password);
      await directory.stop();
      await directory.resume();
      await loggedIn(t, superClient, 'alice', people.alice.password);
    });

    it('stopped: 503 at once, never 401; not counted; /health/ready 503; back: logins work without a restart', async () => {
      const session = await loggedIn(t, superClient, 'alice', people.alice.password);
      await directory.stop();

      const started = Date.now();
      for (let i = 0; i < 3; i++) {
        expectDirectoryUnavailable(
          await passwordGrant(t, superClient, 'alice', people.alice.password),
        );
        expectDirectoryUnavailable(await passwordGrant(t, superClient, 'alice', 'wrong'));
      }
      expectDirectoryUnavailable(
        await listTokens(t, superClient, basicAuth('alice', people.alice.password)),
      );
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      // A name no user can have is refused before the directory is asked.
      expectOAuthError(await passwordGrant(t, superClient, '*', 'x'), 400, 'invalid_grant');
      // A session already issued does not need the directory.
      assert.equal((await listTokens(t, superClient, bearer(session.access_token))).status, 200);

      const ready = await t.http().get('/health/ready');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, {
        status: 'error',
        error: 'temporarily_unavailable',
        error_description: 'The user directory does not answer.',
        checks: { database: 'up', directory: 'down' },
      });

      await directory.resume();
      // Seven attempts met the outage; none was counted (the limit is two).
      await loggedIn(t, superClient, 'alice', people.alice.password);
      const back = await t.http().get('/health/ready');
      assert.equal(back.status, 200);
      assert.deepEqual(back.body.checks, { database: 'up', directory: 'up' });
    });

    it('a directory that stops answering on the pooled connections: 503 after LDAP_TIMEOUT; then logins work again', async () => {
      await loggedIn(t, superClient, 'alice', people.alice.password);
      directory.freeze();
      try {
        const started = Date.now();
        const res = await passwordGrant(t, superClient, 'alice', people.alice.password);
        const elapsed = Date.now() - started;
        expectDirectoryUnavailable(res);
        assert.ok(elapsed >= 900 && elapsed < 2500, `took ${elapsed} ms`);
      } finally {
        directory.thaw();
      }
      await loggedIn(t, superClient, 'alice', people.alice.password);
    });

    it('a server that accepts connections but never answers: 503 after LDAP_TIMEOUT', async () => {
      const app = await startTestApp(directory.env({ LDAP_URL: silent.url, LDAP_TIMEOUT: '1s' }));
      try {
        const client = await createSuperClient(app);
        for (let i = 0; i < 2; i++) {
          const started = Date.now();
          const res = await passwordGrant(app, client, 'alice', people.alice.password);
          const elapsed = Date.now() - started;
          expectDirectoryUnavailable(res);
          assert.ok(elapsed >= 900 && elapsed < 2500, `took ${elapsed} ms`);
        }
        const started = Date.now();
        const ready = await app.http().get('/health/ready');
        assert.equal(ready.status, 503);
        assert.equal(ready.body.checks.directory, 'down');
        assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
      } finally {
        await app.close();
      }
    });

    it('fails over to the next LDAP_URL: past a server that refuses, and past one that never answers', async () => {
      const closedPort = await freePort();
      for (const first of [`ldap://127.0.0.1:${closedPort}`, silent.url]) {
        const app = await startTestApp(
          directory.env({ LDAP_URL: `${first}, ${directory.url}`, LDAP_TIMEOUT: '1s' }),
        );
        try {
          const client = await createSuperClient(app);
          await loggedIn(app, client, 'alice', people.alice.password);
          await expectWrongPassword(app, client, 'alice', 'wrong');
        } finally {
          await app.close();
        }
      }
    });

    it('a refused service bind is the directory being away, not a wrong password', async () => {
      const app = await startTestApp(directory.env({ LDAP_BIND_PASSWORD: 'not-the-service-pw' }));
      try {
        const client = await createSuperClient(app);
        expectDirectoryUnavailable(
          await passwordGrant(app, client, 'alice', people.alice.password),
        );
        assert.equal((await app.http().get('/health/ready')).status, 503);
      } finally {
        await app.close();
      }
    });
  });

  describe('pooled connections', () => {
    it('a burst of logins shares LDAP_POOL_SIZE lanes instead of connecting per request', async () => {
      const proxy = new TcpProxy('127.0.0.1', directory.port);
      await proxy.start();
      const t = await startTestApp(
        directory.env({ LDAP_URL: `ldap://127.0.0.1:${proxy.port}`, LDAP_POOL_SIZE: '2' }),
      );
      try {
        const superClient = await createSuperClient(t);
        const logins = ['alice', 'alice@example.org', 'dave', 'jörg'];
        const passwords = [
          people.alice.password,
          people.alice.password,
          people.dave.password,
          people.joerg.password,
        ];
        const grants = await Promise.all(
          // Fewer than the pool plus PASSWORD_CHECK_QUEUE (32), past which a burst gets 503.
          Array.from({ length: 30 }, (_, i) =>
            passwordGrant(t, superClient, logins[i % 4] ?? '', passwords[i % 4] ?? ''),
          ),
        );
        assert.deepEqual(new Set(grants.map((g) => g.status)), new Set([200]));
        // Two lanes of two connections each: one searching as the service, one for binds.
        assert.ok(proxy.accepted <= 4, `${proxy.accepted} connections`);
      } finally {
        await t.close();
        await proxy.stop();
      }
    });
  });

  describe('TLS', () => {
    const tryLogin = async (env: Record<string, string>): Promise<number> => {
      const t = await startTestApp(directory.env({ LDAP_TIMEOUT: '2s', ...env }));
      try {
        const superClient = await createSuperClient(t);
        const res = await passwordGrant(t, superClient, 'alice', people.alice.password);
        if (res.status !== 200) expectDirectoryUnavailable(res);
        return res.status;
      } finally {
        await t.close();
      }
    };

    it('StartTLS on ldap://, with the test CA; refused (503) without it', async () => {
      const startTls = { LDAP_URL: directory.url, LDAP_START_TLS: 'true' };
      assert.equal(await tryLogin({ ...startTls, LDAP_CA_FILE: directory.caFile }), 200);
      assert.equal(await tryLogin(startTls), 503);
    });

    it('ldaps://, with the test CA; refused (503) without it', async () => {
      assert.equal(
        await tryLogin({ LDAP_URL: directory.ldapsUrl, LDAP_CA_FILE: directory.caFile }),
        200,
      );
      assert.equal(await tryLogin({ LDAP_URL: directory.ldapsUrl }), 503);
    });
  });

  describe('the server process', () => {
    it('starts while the directory is away, names it in the start-up line, and logs no password', async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'tokenvakt-ldap-server-'));
      const port = await freePort();
      const nothing = `ldap://127.0.0.1:${await freePort()}`;
      await directory.stop();
      let server: RunningServer | undefined;
      try {
        server = await startServer(cwd, {
          PORT: String(port),
          LOG_LEVEL: 'info',
          ...directory.env({ LDAP_URL: `${nothing} ${directory.url}` }),
        });
        const [first] = credentialsLines(server.stderr());
        assert.ok(first);
        const { client_id, client_secret } = first.credentials;
        const grant = (username: string, password: string) =>
          fetch(`http://127.0.0.1:${port}/oauth2/token`, {
            method: 'POST',
            headers: {
              authorization: basicAuth(client_id, client_secret),
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: new URLSearchParams({ grant_type: 'password', username, password }),
          });
        assert.equal((await grant('alice', people.alice.password)).status, 503);
        await directory.resume();
        assert.equal((await grant('alice', people.alice.password)).status, 200);
        assert.equal((await grant('alice@example.org', 'wrong-password-1')).status, 400);
      } finally {
        await directory.resume();
        assert.equal(await server?.stop(), 0);
      }
      const log = server.stdout();
      assert.match(
        log,
        new RegExp(
          `"listening on http://127.0.0.1:${port}; database SQLite [^;]+; users in LDAP at ${nothing} ${directory.url}; issuer`,
        ),
      );
      assert.match(log, /"level":"warn".*the directory cannot be asked: .*ECONNREFUSED/);
      for (const secret of [people.alice.password, 'wrong-password-1', SERVICE_PASSWORD]) {
        assert.ok(!log.includes(secret) && !server.stderr().includes(secret), secret);
      }
    });

    it('stops at start-up with one line naming a missing setting', async () => {
      const result = await runNode(MAIN_JS, [], {
        env: { ...directory.env({ LDAP_SEARCH_BASE: '' }), DATABASE_URL: 'sqlite::memory:' },
      });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        'tokenvakt: invalid configuration: LDAP_SEARCH_BASE: is required with USER_STORE=ldap\n',
      );
    });
  });

  describe('the CLI with USER_STORE=ldap', () => {
    let env: Record<string, string>;
    let drop: () => Promise<void>;
    before(async () => {
      const fresh = await freshDatabaseUrl();
      drop = fresh.drop;
      const url =
        fresh.url === 'sqlite::memory:'
          ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'tokenvakt-ldap-cli-')), 'db.sqlite')}`
          : fresh.url;
      env = { DATABASE_URL: url, ...directory.env() };
    });
    after(() => drop?.());

    it('users add, passwd and remove refuse with one line; users list, tokens and clients work', async () => {
      const t = await startTestApp(env);
      const superClient = await createSuperClient(t);
      try {
        await loggedIn(t, superClient, 'alice@example.org', people.alice.password);
      } finally {
        await t.close();
      }
      for (const args of [
        ['users', 'add', 'zoe', '--password', 'zoe-pw'],
        ['users', 'add', 'zoe'],
        ['users', 'passwd', 'alice', '--password', 'new-pw'],
        ['users', 'remove', 'alice'],
      ]) {
        const result = await runCli(args, env);
        assert.equal(result.code, 1, args.join(' '));
        assert.equal(result.stdout, '');
        assert.equal(
          result.stderr,
          'tokenvakt: users live in the LDAP directory (USER_STORE=ldap): add, remove and change them there\n',
        );
      }
      const json = async (args: string[]): Promise<unknown> => {
        const result = await runCli(args, env);
        assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
        return JSON.parse(result.stdout) as unknown;
      };
      const users = (await json(['users', 'list'])) as Array<{ username: string }>;
      assert.deepEqual(
        users.map((u) => u.username),
        ['alice'],
      );
      const tokens = (await json(['tokens', 'list', 'alice', '--type', 'access_token'])) as Array<{
        client_id: string;
      }>;
      assert.deepEqual(
        tokens.map((token) => token.client_id),
        [superClient.client_id],
      );
      const clients = (await json(['clients', 'list'])) as Array<{ client_id: string }>;
      assert.ok(clients.some((c) => c.client_id === superClient.client_id));
    });
  });
});
