import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_JS, runCli } from './support/processes';
import { basicAuth, freshDatabaseUrl, startTestApp, type TestApp } from './support/test-app';

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), answering each prompt when it
 * appears; returns everything the terminal showed and the exit code.
 */
function runOnTerminal(
  args: string[],
  env: Record<string, string>,
  answers: Array<[prompt: string, answer: string]>,
): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, CLI_JS, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', TERM: 'dumb', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let next = 0;
  let searchFrom = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    screen += chunk.toString();
    // Each answer goes in once its prompt has appeared after the previous one.
    for (let answer = answers[next]; answer; answer = answers[next]) {
      const at = screen.indexOf(answer[0], searchFrom);
      if (at < 0) break;
      searchFrom = at + answer[0].length;
      next++;
      child.stdin.write(`${answer[1]}\r`);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

describe('the operator CLI: help, users, clients and tokens (README: Command line)', () => {
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let t: TestApp;

  before(async () => {
    const fresh = await freshDatabaseUrl();
    const url =
      fresh.url === 'sqlite::memory:'
        ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'tokenvakt-cli-ops-')), 'db.sqlite')}`
        : fresh.url;
    env = { DATABASE_URL: url };
    drop = fresh.drop;
    t = await startTestApp(env);
  });
  after(async () => {
    await t.close();
    await drop();
  });

  const cli = async (args: string[], input?: string): Promise<unknown> => {
    const result = await runCli(args, env, input);
    assert.equal(result.code, 0, `${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as unknown;
  };
  const passwordGrant = (
    client: { client_id: string; client_secret: string },
    user: string,
    pw: string,
  ) =>
    t
      .http()
      .post('/oauth2/token')
      .auth(client.client_id, client.client_secret)
      .type('form')
      .send({ grant_type: 'password', username: user, password: pw });

  describe('help', () => {
    for (const args of [['--help'], ['help'], ['-h']]) {
      it(`${args.join(' ')} prints every command on stdout, exit 0, without a database`, async () => {
        const result = await runCli(args, { DATABASE_URL: 'mysql://nobody@127.0.0.1:1/none' });
        assert.equal(result.code, 0);
        assert.equal(result.stderr, '');
        for (const command of [
          'users add',
          'users passwd',
          'clients reset',
          'tokens list',
          'migrate',
        ]) {
          assert.ok(result.stdout.includes(command), command);
        }
      });
    }

    it('a group with --help or help prints that group only', async () => {
      for (const args of [
        ['clients', '--help'],
        ['clients', 'help'],
      ]) {
        const result = await runCli(args, env);
        assert.equal(result.code, 0);
        assert.match(result.stdout, /clients reset <client_id>/);
        assert.doesNotMatch(result.stdout, /users add/);
      }
      const one = await runCli(['tokens', 'list', '--help'], env);
      assert.equal(one.code, 0);
      assert.match(one.stdout, /tokens list <username> \[--type/);
      assert.doesNotMatch(one.stdout, /tokens purge/);
    });

    it('an unknown command, or none, prints the help on stderr, exit 2', async () => {
      for (const args of [[], ['frobnicate'], ['users', 'frobnicate'], ['users']]) {
        const result = await runCli(args, env);
        assert.equal(result.code, 2, args.join(' '));
        assert.equal(result.stdout, '');
        assert.match(result.stderr, /^tokenvakt: .+\n\nusage: npm run -s cli -- /);
      }
    });

    it('an unknown option is a usage mistake, exit 2', async () => {
      const result = await runCli(['users', 'list', '--all'], env);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--all/);
    });
  });

  describe('users', () => {
    it('users add on a terminal prompts twice without echo; the password works', async () => {
      const secret = 'Typed-On-A-Terminal-7';
      const result = await runOnTerminal(['users', 'add', 'carol'], env, [
        ['Password: ', secret],
        ['Repeat the password: ', secret],
      ]);
      assert.equal(result.code, 0, result.screen);
      assert.match(result.screen, /"username": "carol"/);
      assert.ok(!result.screen.includes(secret), 'the password was echoed');
      const users = (await cli(['users', 'list'])) as Array<{ username: string }>;
      assert.ok(users.some((u) => u.username === 'carol'));
      await cli(['users', 'passwd', 'carol', '--password', 'reset-by-operator']);
    });

    it('users add on a terminal refuses two different passwords, exit 1, and creates nobody', async () => {
      const result = await runOnTerminal(['users', 'add', 'dora'], env, [
        ['Password: ', 'one-password'],
        ['Repeat the password: ', 'another-password'],
      ]);
      assert.equal(result.code, 1, result.screen);
      assert.match(result.screen, /the two passwords differ/);
      const users = (await cli(['users', 'list'])) as Array<{ username: string }>;
      assert.ok(!users.some((u) => u.username === 'dora'));
    });

    it('users list prints ids, names and creation times', async () => {
      await cli(['users', 'add', 'erin', '--password', 'erin-pw']);
      const users = (await cli(['users', 'list'])) as Array<Record<string, unknown>>;
      const erin = users.find((u) => u.username === 'erin');
      assert.ok(erin);
      assert.deepEqual(Object.keys(erin).sort(), ['created_at', 'user_id', 'username']);
      assert.equal(typeof erin.user_id, 'number');
      assert.match(String(erin.created_at), /^\d{4}-\d\d-\d\dT.*Z$/);
    });

    it("users passwd changes the password and revokes the user's tokens; --keep-tokens keeps them", async () => {
      const superClient = (await cli([
        'clients',
        'add',
        '--name',
        'Front end',
        '--type',
        'confidential',
        '--super',
      ])) as { client_id: string; client_secret: string };
      await cli(['users', 'add', 'fred', '--password', 'old-pw']);
      const session = await passwordGrant(superClient, 'fred', 'old-pw');
      assert.equal(session.status, 200);

      assert.deepEqual(await cli(['users', 'passwd', 'fred'], 'new-pw\n'), {
        username: 'fred',
        tokens_revoked: 2,
      });
      assert.equal((await passwordGrant(superClient, 'fred', 'old-pw')).status, 400);
      const again = await passwordGrant(superClient, 'fred', 'new-pw');
      assert.equal(again.status, 200);
      const listed = () =>
        t
          .http()
          .post('/oauth2/token/list')
          .set('Authorization', `Bearer ${again.body.access_token as string}`)
          .type('form')
          .send({
            super_client_id: superClient.client_id,
            super_client_secret: superClient.client_secret,
            token_type: 'access_token',
          });
      assert.equal((await listed()).status, 200);
      assert.deepEqual(
        await cli(['users', 'passwd', 'fred', '--password', 'newer-pw', '--keep-tokens']),
        { username: 'fred', tokens_revoked: 0 },
      );
      assert.equal((await listed()).status, 200, 'the session survives --keep-tokens');
      const missing = await runCli(['users', 'passwd', 'nobody', '--password', 'x'], env);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, 'tokenvakt: No user "nobody".\n');
    });
  });

  describe('clients and tokens', () => {
    let superClient: { client_id: string; client_secret: string };

    before(async () => {
      superClient = (await cli([
        'clients',
        'add',
        '--name',
        'Kalamar',
        '--type',
        'confidential',
        '--super',
      ])) as typeof superClient;
      await cli(['users', 'add', 'gina', '--password', 'gina-pw']);
    });

    it('clients reset gives a super client a new secret; the old one stops working at once', async () => {
      assert.equal((await passwordGrant(superClient, 'gina', 'gina-pw')).status, 200);
      const reset = (await cli(['clients', 'reset', superClient.client_id])) as {
        client_id: string;
        client_secret: string;
      };
      assert.equal(reset.client_id, superClient.client_id);
      assert.match(reset.client_secret, /^tvs_/);
      const old = await passwordGrant(superClient, 'gina', 'gina-pw');
      assert.equal(old.status, 401);
      assert.equal(old.body.error, 'invalid_client');
      assert.equal((await passwordGrant(reset, 'gina', 'gina-pw')).status, 200);
      superClient = reset;

      const pub = (await cli(['clients', 'add', '--name', 'Script', '--type', 'public'])) as {
        client_id: string;
      };
      const refused = await runCli(['clients', 'reset', pub.client_id], env);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, 'tokenvakt: Public clients have no secret to reset.\n');
    });

    it('clients show prints one client and never its secret; an unknown one is exit 1', async () => {
      const shown = (await cli(['clients', 'show', superClient.client_id])) as Record<
        string,
        unknown
      >;
      assert.equal(shown.client_name, 'Kalamar');
      assert.equal(shown.super, true);
      assert.ok(Object.keys(shown).every((k) => !k.includes('secret') && !k.includes('digest')));
      const unknown = await runCli(['clients', 'show', 'NoSuchClient'], env);
      assert.equal(unknown.code, 1);
      assert.equal(unknown.stderr, 'tokenvakt: No client "NoSuchClient".\n');
    });

    it("tokens list prints a user's live tokens by handle, as the admin API does", async () => {
      const session = await passwordGrant(superClient, 'gina', 'gina-pw');
      assert.equal(session.status, 200);
      const all = (await cli(['tokens', 'list', 'gina'])) as Array<Record<string, unknown>>;
      assert.ok(all.length >= 2);
      assert.ok(all.every((e) => e.client_id === superClient.client_id));
      assert.ok(!JSON.stringify(all).includes(session.body.access_token as string));
      const access = (await cli(['tokens', 'list', 'gina', '--type', 'access_token'])) as Array<
        Record<string, unknown>
      >;
      assert.ok(access.every((e) => e.token_type === 'access_token'));
      assert.equal(access.length, all.length / 2);
      const bad = await runCli(['tokens', 'list', 'gina', '--type', 'id_token'], env);
      assert.equal(bad.code, 2);
      const nobody = await runCli(['tokens', 'list', 'nobody'], env);
      assert.equal(nobody.code, 1);
    });

    it("clients update --redirect-uri gives a client (the first super client, say) a redirect URI, by registration's rules", async () => {
      const updated = await cli([
        'clients',
        'update',
        superClient.client_id,
        '--redirect-uri',
        'HTTPS://Korap.Example:443/settings/oauth/',
      ]);
      assert.deepEqual(updated, {
        client_id: superClient.client_id,
        client_redirect_uri: 'https://korap.example/settings/oauth/',
      });
      const shown = (await cli(['clients', 'show', superClient.client_id])) as Record<
        string,
        unknown
      >;
      assert.equal(shown.client_redirect_uri, 'https://korap.example/settings/oauth/');
      const refused = await runCli(
        ['clients', 'update', superClient.client_id, '--redirect-uri', 'http://korap.example/'],
        env,
      );
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^tokenvakt: redirect_uri must be an https URI/);
      const missing = await runCli(['clients', 'update', superClient.client_id], env);
      assert.equal(missing.code, 2);
    });

    it("tokens revoke ends a user's tokens, all of them or one client's", async () => {
      await cli(['users', 'add', 'hana', '--password', 'hana-pw']);
      const first = await passwordGrant(superClient, 'hana', 'hana-pw');
      assert.equal(first.status, 200);
      const other = (await cli([
        'clients',
        'add',
        '--name',
        'Dashboard',
        '--type',
        'confidential',
        '--super',
      ])) as {
        client_id: string;
        client_secret: string;
      };
      assert.equal((await passwordGrant(other, 'hana', 'hana-pw')).status, 200);
      assert.deepEqual(await cli(['tokens', 'revoke', 'hana', '--client', other.client_id]), {
        username: 'hana',
        tokens_revoked: 2,
      });
      const left = (await cli(['tokens', 'list', 'hana'])) as Array<{ client_id: string }>;
      assert.ok(left.length > 0 && left.every((e) => e.client_id === superClient.client_id));
      assert.deepEqual(await cli(['tokens', 'revoke', 'hana']), {
        username: 'hana',
        tokens_revoked: left.length,
      });
      assert.deepEqual(await cli(['tokens', 'list', 'hana']), []);
      const nobody = await runCli(['tokens', 'revoke', 'nobody'], env);
      assert.equal(nobody.code, 1);
    });

    it('clients remove deletes the client and revokes its tokens', async () => {
      const before = (await cli(['tokens', 'list', 'gina'])) as unknown[];
      assert.ok(before.length > 0);
      assert.deepEqual(await cli(['clients', 'remove', superClient.client_id]), {
        client_id: superClient.client_id,
        removed: true,
      });
      assert.deepEqual(await cli(['tokens', 'list', 'gina']), []);
      const gone = await runCli(['clients', 'show', superClient.client_id], env);
      assert.equal(gone.code, 1);
      const login = await t
        .http()
        .post('/oauth2/token/list')
        .set('Authorization', basicAuth('gina', 'gina-pw'))
        .type('form')
        .send({
          super_client_id: superClient.client_id,
          super_client_secret: superClient.client_secret,
          token_type: 'access_token',
        });
      assert.equal(login.status, 401);
    });
  });
});
