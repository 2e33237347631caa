import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { insertClientRow } from './support/factories';
import {
  CLI_JS,
  credentialsLines,
  freePort,
  MAIN_JS,
  otherUserWhenRoot,
  runCli,
  runNode,
  startServer,
} from './support/processes';
import { freshDatabaseUrl, startTestApp } from './support/test-app';

describe('node dist/main.js', () => {
  let cwd: string;
  let env: Record<string, string>;
  let dropDatabase: () => Promise<void>;
  /** Where the credentials go: named after the database. */
  let expectedFile: string;

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'tokenvakt-start-'));
    const fresh = await freshDatabaseUrl();
    dropDatabase = fresh.drop;
    // On SQLite, leave DATABASE_URL unset: the default is ./data/tokenvakt.sqlite in the cwd.
    env = fresh.url.startsWith('sqlite:') ? {} : { DATABASE_URL: fresh.url };
    env.PORT = String(await freePort());
    expectedFile = env.DATABASE_URL
      ? mysqlCredentialsFile(env.DATABASE_URL)
      : 'data/super_client.json';
  });
  after(() => dropDatabase());

  it('on a fresh database, creates one super client: its credentials in data/super_client.json (0600) and in one stderr line, never on stdout', async () => {
    const server = await startServer(cwd, env);
    try {
      const handedOver = credentialsLines(server.stderr());
      assert.equal(handedOver.length, 1, server.stderr());
      const [{ file, credentials }] = handedOver as [(typeof handedOver)[0]];
      assert.equal(file, expectedFile);
      assert.deepEqual(JSON.parse(readFileSync(join(cwd, file), 'utf8')), credentials);
      assert.equal(statSync(join(cwd, file)).mode & 0o777, 0o600);
      // The folder tokenvakt created for it is the service user's alone.
      assert.equal(statSync(join(cwd, 'data')).mode & 0o777, 0o700);
      // stdout is the JSON log and nothing else: no secret in it.
      assert.ok(!server.stdout().includes(credentials.client_secret), server.stdout());
      for (const line of server
        .stdout()
        .split('\n')
        .filter((l) => l !== '')) {
        assert.doesNotThrow(() => JSON.parse(line) as unknown, line);
      }
      if (!env.DATABASE_URL) {
        // The database and its WAL files (open while the server runs) are 0600 too.
        for (const name of ['tokenvakt.sqlite', 'tokenvakt.sqlite-wal', 'tokenvakt.sqlite-shm']) {
          assert.equal(statSync(join(cwd, 'data', name)).mode & 0o777, 0o600, name);
        }
        assert.ok(statSync(join(cwd, 'data/tokenvakt.sqlite')).size > 0);
      }

      // The credentials work against the running server.
      const res = await fetch(`http://127.0.0.1:${env.PORT}/oauth2/token`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${credentials.client_id}:${credentials.client_secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=search',
      });
      assert.equal(res.status, 200);
    } finally {
      await server.stop();
    }
  });

  it('does not create another super client on the next start', async () => {
    const before = readFileSync(join(cwd, expectedFile), 'utf8');
    const server = await startServer(cwd, env);
    await server.stop();
    assert.deepEqual(credentialsLines(server.stderr()), []);
    assert.equal(readFileSync(join(cwd, expectedFile), 'utf8'), before);
  });

  it('reads .env from the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenvakt-dotenv-'));
    const port = await freePort();
    writeFileSync(join(dir, '.env'), `PORT=${port}\nDATABASE_URL=sqlite:./data/db.sqlite\n`);
    const server = await startServer(dir, {});
    await server.stop();
    assert.match(server.stdout(), new RegExp(`listening on http://127.0.0.1:${port}`));
    assert.ok(statSync(join(dir, 'data/db.sqlite')).size > 0);
  });

  it('says in one info line where it listens, on which database and as which issuer; the route table is debug', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenvakt-info-'));
    const port = await freePort();
    const server = await startServer(dir, { PORT: String(port), LOG_LEVEL: 'info' });
    await server.stop();
    const lines = server
      .stdout()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    const startUp = lines.filter((l) => l.msg !== 'request' && !/^SIGTERM|^stopped/.test(l.msg));
    assert.deepEqual(
      startUp.map((l) => l.msg),
      [
        `listening on http://127.0.0.1:${port}; database SQLite ./data/tokenvakt.sqlite; issuer http://127.0.0.1:${port}`,
      ],
    );
  });

  for (const [what, env, pattern] of [
    ['an impossible HOST', { HOST: '999.1.1.1' }, /^tokenvakt: invalid configuration: HOST: /],
    [
      'a wildcard HOST without ISSUER',
      { HOST: '0.0.0.0' },
      /^tokenvakt: invalid configuration: ISSUER: HOST=0\.0\.0\.0 listens on every interface/,
    ],
    [
      'DATABASE_URL and DATABASE_HOST together',
      {
        DATABASE_URL: 'mysql://u:p@h:3306/d',
        DATABASE_HOST: 'h',
        DATABASE_USER: 'u',
        DATABASE_NAME: 'd',
      },
      /^tokenvakt: invalid configuration: DATABASE_URL: give either DATABASE_URL or DATABASE_HOST/,
    ],
    [
      'DATABASE_HOST without DATABASE_NAME',
      { DATABASE_HOST: 'db', DATABASE_USER: 'u' },
      /^tokenvakt: invalid configuration: DATABASE_NAME: /,
    ],
    [
      'a short METRICS_TOKEN',
      { METRICS_TOKEN: 'short' },
      /^tokenvakt: invalid configuration: METRICS_TOKEN: /,
    ],
    [
      'DOCS_ENABLED=maybe',
      { DOCS_ENABLED: 'maybe' },
      /^tokenvakt: invalid configuration: DOCS_ENABLED: /,
    ],
    [
      'a SQLite file in a folder that does not exist',
      { DATABASE_URL: 'sqlite:/nonexistent-tokenvakt-folder/db.sqlite' },
      /^tokenvakt: could not start: cannot use the SQLite database \/nonexistent-tokenvakt-folder\/db\.sqlite: the folder \/nonexistent-tokenvakt-folder does not exist$/,
    ],
  ] as const) {
    it(`stops with one line and nothing on stdout for ${what}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tokenvakt-bad-'));
      const result = await runNode(MAIN_JS, [], { env: { ...env }, cwd: dir });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', pattern);
      assert.ok(!existsSync(join(dir, 'data', 'super_client.json')));
    });
  }

  it('connects with DATABASE_HOST/USER/PASSWORD/NAME, whatever characters the password holds (MySQL/MariaDB)', async (context) => {
    const fresh = await freshDatabaseUrl();
    try {
      if (fresh.url.startsWith('sqlite:')) {
        context.skip('needs MySQL/MariaDB');
        return;
      }
      // .ci/run creates this user; its password holds every character a URL reserves.
      const url = new URL(fresh.url);
      const dir = mkdtempSync(join(tmpdir(), 'tokenvakt-parts-'));
      const port = await freePort();
      const server = await startServer(dir, {
        PORT: String(port),
        DATABASE_HOST: url.hostname,
        DATABASE_PORT: url.port || '3306',
        DATABASE_USER: 'tokenvakt_special',
        DATABASE_PASSWORD: 'p@ss:w/o%r#d?',
        DATABASE_NAME: url.pathname.slice(1),
      });
      try {
        const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
        assert.equal(ready.status, 200);
        assert.match(server.stdout(), /database MySQL\/MariaDB 127\.0\.0\.1:\d+\/tokenvakt_test/);
        assert.doesNotMatch(server.stdout() + server.stderr(), /p@ss/);
      } finally {
        await server.stop();
      }
    } finally {
      await fresh.drop();
    }
  });

  it('stops with the path and the reason when the SQLite file is not a database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenvakt-notdb-'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(
      join(dir, 'data/tokenvakt.sqlite'),
      'this is not a database, only text '.repeat(200),
    );
    const result = await runNode(MAIN_JS, [], { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      'tokenvakt: could not start: cannot use the SQLite database ./data/tokenvakt.sqlite: file is not a database\n',
    );
  });

  it('stops at a malformed .env line, naming the file and the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenvakt-badenv-'));
    writeFileSync(join(dir, '.env'), '# settings\nPORT=8089\nLOG_LEVEL debug\n');
    for (const entry of [MAIN_JS, CLI_JS]) {
      const result = await runNode(entry, entry === CLI_JS ? ['users', 'list'] : [], { cwd: dir });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.equal(
        result.stderr,
        'tokenvakt: invalid configuration: .env: line 3 is not NAME=value: "LOG_LEVEL debug"\n',
      );
    }
  });

  for (const [variable, value] of [
    ['ACCESS_TOKEN_TTL', 'abc'],
    ['AUTHORIZATION_CODE_TTL', '0m'],
    ['PORT', '99999'],
    ['DATABASE_URL', 'postgres://localhost/db'],
    ['LOG_LEVEL', 'loud'],
    ['MIGRATIONS_RUN', 'maybe'],
    ['PKCE_REQUIRED', 'plain'],
  ] as const) {
    it(`stops with one line naming ${variable} when it is "${value}"`, async () => {
      const result = await runNode(MAIN_JS, [], { env: { [variable]: value } });
      assert.equal(result.code, 1);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', new RegExp(`^tokenvakt: invalid configuration: ${variable}: `));
    });
  }

  it('refuses to start while a public client has the super flag, naming it and the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenvakt-public-super-'));
    const fresh = await freshDatabaseUrl();
    const url = fresh.url.startsWith('sqlite:') ? `sqlite:${join(dir, 'db.sqlite')}` : fresh.url;
    const serverEnv = { DATABASE_URL: url, PORT: String(await freePort()) };
    try {
      // Rows only an older version or a hand edit could have written.
      const t = await startTestApp({ DATABASE_URL: url });
      const ids = [
        await insertClientRow(t, { id: 'public-super-a', type: 'PUBLIC', isSuper: true }),
        await insertClientRow(t, { id: 'public-super-b', type: 'PUBLIC', isSuper: true }),
      ];
      await t.close();

      const refused = await runNode(MAIN_JS, [], { env: serverEnv, cwd: dir });
      assert.equal(refused.code, 1);
      assert.equal(
        refused.stderr,
        'tokenvakt: super clients must be confidential, but public clients public-super-a, ' +
          'public-super-b have the super flag; remove it with: ' +
          'npm run -s cli -- clients revoke-flag public-super-a --super; ' +
          'npm run -s cli -- clients revoke-flag public-super-b --super\n',
      );
      assert.doesNotMatch(refused.stdout, /listening on/);

      // The CLI still starts, and its fix lets the server start.
      for (const id of ids) {
        const fixed = await runCli(['clients', 'revoke-flag', id, '--super'], serverEnv);
        assert.equal(fixed.code, 0, fixed.stderr);
      }
      const server = await startServer(dir, serverEnv);
      assert.equal(await server.stop(), 0);
    } finally {
      await fresh.drop();
    }
  });

  it('retries an unreachable database with backoff, then stops with one line', async () => {
    const result = await runNode(MAIN_JS, [], {
      env: {
        DATABASE_URL: 'mysql://nobody:nothing@127.0.0.1:1/nowhere',
        DATABASE_CONNECT_TIMEOUT: '2s',
      },
      timeoutMs: 20_000,
    });
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0] ?? '',
      /^tokenvakt: could not start: cannot use the database at 127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
    // The retries are logged as warnings on stdout before it gives up.
    assert.ok((result.stdout.match(/retrying in/g) ?? []).length >= 2, result.stdout);
  });
});

/** The credentials file of a MySQL/MariaDB database: named after its host, port and name. */
function mysqlCredentialsFile(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `data/super_client.${url.hostname}_${url.port}_${url.pathname.slice(1)}.json`;
}

describe("the first super client's credentials, one file per database", () => {
  const dropAfterwards: Array<() => Promise<void>> = [];
  after(async () => {
    for (const drop of dropAfterwards) await drop();
  });

  /** A fresh database for a server started in `cwd`, and the file its credentials go to. */
  const freshDatabase = async (cwd: string, sqliteName: string) => {
    const fresh = await freshDatabaseUrl();
    dropAfterwards.push(fresh.drop);
    if (fresh.url.startsWith('sqlite:')) {
      // tokenvakt creates only data/ for a SQLite file; this folder is the operator's to make.
      mkdirSync(join(cwd, 'db'), { recursive: true });
      return {
        DATABASE_URL: `sqlite:${join(cwd, 'db', `${sqliteName}.sqlite`)}`,
        file: `data/super_client.${sqliteName}.json`,
      };
    }
    return { DATABASE_URL: fresh.url, file: mysqlCredentialsFile(fresh.url) };
  };

  const superClients = async (DATABASE_URL: string) => {
    const listed = await runCli(['clients', 'list'], { DATABASE_URL });
    assert.equal(listed.code, 0, listed.stderr);
    return (JSON.parse(listed.stdout) as Array<{ super: boolean }>).filter((c) => c.super);
  };

  it("a second database started from the same folder gets its own file and leaves the first one's alone", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tokenvakt-two-'));
    const files: string[] = [];
    for (const name of ['first', 'second']) {
      const database = await freshDatabase(cwd, name);
      const server = await startServer(cwd, {
        DATABASE_URL: database.DATABASE_URL,
        PORT: String(await freePort()),
      });
      await server.stop();
      const [handedOver] = credentialsLines(server.stderr());
      assert.equal(handedOver?.file, database.file, server.stderr());
      assert.deepEqual(
        JSON.parse(readFileSync(join(cwd, database.file), 'utf8')),
        handedOver.credentials,
      );
      files.push(database.file);
    }
    assert.notEqual(files[0], files[1]);
    assert.deepEqual(readdirSync(join(cwd, 'data')).sort(), files.map((f) => f.slice(5)).sort());
  });

  it('never overwrites an existing credentials file: start-up stops with one line and creates no super client', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tokenvakt-exists-'));
    const database = await freshDatabase(cwd, 'recreated');
    mkdirSync(join(cwd, 'data'));
    const earlier = '{"client_id":"earlier","client_secret":"tvs_of_an_earlier_database"}\n';
    writeFileSync(join(cwd, database.file), earlier, { mode: 0o600 });

    const result = await runNode(MAIN_JS, [], {
      cwd,
      env: { DATABASE_URL: database.DATABASE_URL, PORT: String(await freePort()) },
    });
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0] ?? '',
      new RegExp(
        `^tokenvakt: could not start: cannot write the first super client's credentials to ${database.file.replaceAll('.', '\\.')} \\(it exists.*\\); no super client was created$`,
      ),
    );
    assert.equal(readFileSync(join(cwd, database.file), 'utf8'), earlier);
    assert.deepEqual(await superClients(database.DATABASE_URL), []);
  });

  it('a data folder it cannot write to stops start-up with one line and leaves no super client behind; the next start creates one', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tokenvakt-readonly-'));
    const database = await freshDatabase(cwd, 'readonly');
    const runAs = otherUserWhenRoot();
    chmodSync(cwd, 0o755);
    mkdirSync(join(cwd, 'db'), { recursive: true });
    if (runAs) chownSync(join(cwd, 'db'), runAs.uid, runAs.gid);
    mkdirSync(join(cwd, 'data'), { mode: 0o500 });
    const env = { DATABASE_URL: database.DATABASE_URL, PORT: String(await freePort()) };

    const result = await runNode(MAIN_JS, [], { cwd, env, runAs });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0] ?? '',
      /^tokenvakt: could not start: cannot write the first super client's credentials to data\/super_client\.\S+\.json \(EACCES: .*\); no super client was created$/,
    );
    assert.deepEqual(readdirSync(join(cwd, 'data')), []);
    assert.deepEqual(await superClients(database.DATABASE_URL), []);

    // Once the folder is writable, the next start creates the super client.
    chmodSync(join(cwd, 'data'), 0o700);
    if (runAs) chownSync(join(cwd, 'data'), runAs.uid, runAs.gid);
    const server = await startServer(cwd, env, runAs);
    await server.stop();
    assert.equal(credentialsLines(server.stderr())[0]?.file, database.file, server.stderr());
    assert.equal((await superClients(database.DATABASE_URL)).length, 1);
  });
});
