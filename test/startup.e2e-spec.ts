import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { insertClientRow } from './support/factories';
import { freePort, MAIN_JS, runCli, runNode, startServer } from './support/processes';
import { freshDatabaseUrl, startTestApp } from './support/test-app';

describe('node dist/main.js', () => {
  let cwd: string;
  let env: Record<string, string>;
  let dropDatabase: () => Promise<void>;

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'tokenvakt-start-'));
    const fresh = await freshDatabaseUrl();
    dropDatabase = fresh.drop;
    // On SQLite, leave DATABASE_URL unset: the default is ./data/tokenvakt.sqlite in the cwd.
    env = fresh.url.startsWith('sqlite:') ? {} : { DATABASE_URL: fresh.url };
    env.PORT = String(await freePort());
  });
  after(() => dropDatabase());

  it('on a fresh database, creates one super client, prints it once and writes data/super_client.json (0600)', async () => {
    const server = await startServer(cwd, env);
    try {
      const match = /Created the first super client.*\n(\{.*\})\n/.exec(server.stdout());
      assert.ok(match?.[1], server.stdout());
      const printed = JSON.parse(match[1]) as { client_id: string; client_secret: string };
      const file = join(cwd, 'data/super_client.json');
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), printed);
      assert.equal(statSync(file).mode & 0o777, 0o600);

      // The printed credentials work against the running server.
      const res = await fetch(`http://127.0.0.1:${env.PORT}/oauth2/token`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${printed.client_id}:${printed.client_secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=search',
      });
      assert.equal(res.status, 200);
      if (!env.DATABASE_URL) assert.ok(statSync(join(cwd, 'data/tokenvakt.sqlite')).size > 0);
    } finally {
      await server.stop();
    }
  });

  it('does not create another super client on the next start', async () => {
    const before = readFileSync(join(cwd, 'data/super_client.json'), 'utf8');
    const server = await startServer(cwd, env);
    await server.stop();
    assert.doesNotMatch(server.stdout(), /Created the first super client/);
    assert.equal(readFileSync(join(cwd, 'data/super_client.json'), 'utf8'), before);
  });

  it('reads .env from the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenvakt-dotenv-'));
    const port = await freePort();
    writeFileSync(join(dir, '.env'), `PORT=${port}\nDATABASE_URL=sqlite:./state/db.sqlite\n`);
    const server = await startServer(dir, {});
    await server.stop();
    assert.match(server.stdout(), new RegExp(`listening on http://127.0.0.1:${port}`));
    assert.ok(statSync(join(dir, 'state/db.sqlite')).size > 0);
  });

  for (const [variable, value] of [
    ['ACCESS_TOKEN_TTL', 'abc'],
    ['AUTHORIZATION_CODE_TTL', '0m'],
    ['PORT', '99999'],
    ['DATABASE_URL', 'postgres://localhost/db'],
    ['LOG_LEVEL', 'loud'],
    ['MIGRATIONS_RUN', 'maybe'],
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
