import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  credentialsLines,
  freePort,
  MAIN_JS,
  runCli,
  runNode,
  startServer,
} from '../support/processes';
import { freshDatabaseUrl } from '../support/test-app';
import { KUSTVAKT } from './kustvakt-fixture';

/**
 * Kustvakt's InitialSuperClientTest (KorAP/Kustvakt, src/test/java/de/ids_mannheim/korap/web/),
 * against `node dist/main.js` started in a fresh folder on a fresh database (README: Security
 * model, on the first super client's credentials).
 */
describe('InitialSuperClientTest (Kustvakt)', () => {
  const dropAfterwards: Array<() => Promise<void>> = [];
  after(async () => {
    for (const drop of dropAfterwards) await drop();
  });

  it('testCreatingInitialSuperClient — differs: created only on a database without a super client; an existing credentials file is never reused', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tokenvakt-initial-super-'));
    const fresh = await freshDatabaseUrl();
    dropAfterwards.push(fresh.drop);
    let DATABASE_URL = fresh.url;
    if (DATABASE_URL.startsWith('sqlite:')) {
      mkdirSync(join(cwd, 'db'));
      DATABASE_URL = `sqlite:${join(cwd, 'db', 'kustvakt.sqlite')}`;
    }
    const env = { DATABASE_URL, PORT: String(await freePort()) };

    const server = await startServer(cwd, env);
    let file: string;
    try {
      // The file was created during server start
      const [handedOver] = credentialsLines(server.stderr());
      assert.ok(handedOver, server.stderr());
      file = handedOver.file;
      assert.ok(existsSync(join(cwd, file)));
      const node = JSON.parse(readFileSync(join(cwd, file), 'utf8')) as {
        client_id: string;
        client_secret: string;
      };
      assert.deepEqual(node, handedOver.credentials);
      const shown = await runCli(['clients', 'show', node.client_id], { DATABASE_URL });
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal((JSON.parse(shown.stdout) as { super: boolean }).super, true);
      await testLogin(env.PORT, node.client_id, node.client_secret, DATABASE_URL);
      // Kustvakt: 2, its test super client and the new one. tokenvakt creates the first super
      // client only on a database that has none, so it is the only one.
      assert.deepEqual(await superClientIds(DATABASE_URL), [node.client_id]);
    } finally {
      await server.stop();
    }

    const { client_id: superClientId } = JSON.parse(readFileSync(join(cwd, file), 'utf8')) as {
      client_id: string;
    };
    const removed = await runCli(['clients', 'remove', superClientId], { DATABASE_URL });
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(await superClientIds(DATABASE_URL), []);

    await testRegisterFromExistingFile(cwd, env, file);
  });

  /**
   * Kustvakt registers the client of an existing file again. tokenvakt never takes over a file
   * it did not just write (it may hold an earlier database's credentials): start-up stops
   * with one line, the file is left as it is, and no super client is created.
   */
  async function testRegisterFromExistingFile(
    cwd: string,
    env: { DATABASE_URL: string; PORT: string },
    file: string,
  ): Promise<void> {
    const before = readFileSync(join(cwd, file), 'utf8');
    const result = await runNode(MAIN_JS, [], { cwd, env });
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] ?? '', /cannot write the first super client's credentials .*it exists/);
    assert.equal(readFileSync(join(cwd, file), 'utf8'), before);
    assert.deepEqual(await superClientIds(env.DATABASE_URL), []);
  }

  async function testLogin(
    port: string,
    superClientId: string,
    superClientSecret: string,
    DATABASE_URL: string,
  ): Promise<void> {
    const added = await runCli(['users', 'add', 'username', '--password', KUSTVAKT.password], {
      DATABASE_URL,
    });
    assert.equal(added.code, 0, added.stderr);
    const response = await fetch(
      `http://127.0.0.1:${port}/api/${KUSTVAKT.API_VERSION}/oauth2/token`,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Forwarded-For': KUSTVAKT.forwardedFor,
        },
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: superClientId,
          client_secret: superClientSecret,
          username: 'username',
          password: KUSTVAKT.password,
        }).toString(),
      },
    );
    const node = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 200, JSON.stringify(node));
    assert.ok(node.access_token);
    assert.ok(node.refresh_token);
    assert.ok(node.expires_in);
    assert.equal(node.scope, 'all');
    assert.equal(node.token_type, 'Bearer');
  }

  async function superClientIds(DATABASE_URL: string): Promise<string[]> {
    const listed = await runCli(['clients', 'list'], { DATABASE_URL });
    assert.equal(listed.code, 0, listed.stderr);
    return (JSON.parse(listed.stdout) as Array<{ client_id: string; super: boolean }>)
      .filter((c) => c.super)
      .map((c) => c.client_id);
  }
});
