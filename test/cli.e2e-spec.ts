import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestSecret } from '../src/auth/secrets';
import { ClientsService } from '../src/clients/clients.service';
import { Token } from '../src/tokens/token.entity';
import { REPO_ROOT, runCli } from './support/processes';
import {
  basicAuth,
  bearer,
  freshDatabaseUrl,
  startTestApp,
  type TestApp,
} from './support/test-app';

/** The CLI and an app instance share one database, as an operator's shell and the server do. */
describe('the operator CLI (README: Command line)', () => {
  let env: Record<string, string>;
  let dropDatabase: () => Promise<void>;
  let t: TestApp | undefined;

  before(async () => {
    const fresh = await freshDatabaseUrl();
    const url =
      fresh.url === 'sqlite::memory:'
        ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'tokenvakt-cli-')), 'db.sqlite')}`
        : fresh.url;
    env = { DATABASE_URL: url };
    dropDatabase = fresh.drop;
  });
  after(async () => {
    await t?.close();
    await dropDatabase();
  });

  const cli = async (args: string[], input?: string): Promise<unknown> => {
    const result = await runCli(args, env, input);
    assert.equal(result.code, 0, `${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as unknown;
  };

  let superClient: { client_id: string; client_secret: string };
  let publicClient: { client_id: string };

  it('migrate applies the pending migrations once, and then none', async () => {
    const first = (await cli(['migrate'])) as { applied: string[] };
    assert.ok(first.applied.length >= 2);
    assert.match(first.applied[0] ?? '', /^InitialSchema/);
    assert.deepEqual(await cli(['migrate']), { applied: [] });
  });

  it('users add takes the password from --password or one line of standard input', async () => {
    assert.deepEqual(await cli(['users', 'add', 'alice', '--password', 'alice-pw']), {
      username: 'alice',
    });
    assert.deepEqual(await cli(['users', 'add', 'bob'], 'bob pw with spaces\n'), {
      username: 'bob',
    });
    const duplicate = await runCli(['users', 'add', 'alice', '--password', 'x'], env);
    assert.equal(duplicate.code, 1);
    assert.equal(duplicate.stdout, '');
    assert.match(duplicate.stderr, /already exists/);
  });

  it('clients add prints {"client_id","client_secret"?} as JSON', async () => {
    superClient = (await cli([
      'clients',
      'add',
      '--name',
      'Admin dashboard',
      '--type',
      'confidential',
      '--super',
    ])) as typeof superClient;
    assert.deepEqual(Object.keys(superClient).sort(), ['client_id', 'client_secret']);
    assert.match(superClient.client_secret, /^tvs_[A-Za-z0-9_-]{43}$/);
    publicClient = (await cli([
      'clients',
      'add',
      '--name',
      'Query script',
      '--type',
      'public',
      '--redirect-uri',
      'https://script.example/cb',
      '--url',
      'https://script.example/',
      '--description',
      'A script',
    ])) as typeof publicClient;
    assert.deepEqual(Object.keys(publicClient), ['client_id']);
  });

  it('clients list prints every client and never a secret', async () => {
    const result = await runCli(['clients', 'list'], env);
    assert.equal(result.code, 0);
    const clients = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(
      clients.map((c) => c.client_name),
      ['Admin dashboard', 'Query script'],
    );
    assert.equal(clients[0]?.super, true);
    assert.equal(clients[1]?.client_redirect_uri, 'https://script.example/cb');
    assert.ok(!result.stdout.includes(superClient.client_secret));
    assert.ok(
      clients.every((c) =>
        Object.keys(c).every((k) => !k.includes('secret') && !k.includes('digest')),
      ),
    );
  });

  it('the server accepts what the CLI created: the user logs in through the super client', async () => {
    t = await startTestApp(env);
    const login = await t
      .http()
      .post('/oauth2/token')
      .auth(superClient.client_id, superClient.client_secret)
      .type('form')
      .send({ grant_type: 'password', username: 'bob', password: 'bob pw with spaces' });
    assert.equal(login.status, 200);
    assert.equal(login.body.scope, 'all');
  });

  it("clients revoke-flag --super revokes the client's tokens and ends its password grant; grant restores it", async () => {
    assert.ok(t);
    const session = await t
      .http()
      .post('/oauth2/token')
      .auth(superClient.client_id, superClient.client_secret)
      .type('form')
      .send({ grant_type: 'password', username: 'alice', password: 'alice-pw' });
    assert.equal(session.status, 200);
    assert.deepEqual(await cli(['clients', 'revoke-flag', superClient.client_id, '--super']), {
      client_id: superClient.client_id,
      super: false,
    });
    const rows = await t.dataSource
      .getRepository(Token)
      .findBy({ clientId: superClient.client_id });
    assert.ok(rows.length >= 2);
    assert.ok(rows.every((row) => row.revokedAt !== null));
    const denied = await t
      .http()
      .post('/oauth2/token')
      .auth(superClient.client_id, superClient.client_secret)
      .type('form')
      .send({ grant_type: 'password', username: 'alice', password: 'alice-pw' });
    assert.equal(denied.status, 400);
    assert.equal(denied.body.error, 'unauthorized_client');

    assert.deepEqual(await cli(['clients', 'grant', superClient.client_id, '--super']), {
      client_id: superClient.client_id,
      super: true,
    });
    const again = await t
      .http()
      .post('/oauth2/token')
      .auth(superClient.client_id, superClient.client_secret)
      .type('form')
      .send({ grant_type: 'password', username: 'alice', password: 'alice-pw' });
    assert.equal(again.status, 200);
  });

  it('clients grant --admin sets the admin flag; a public client cannot be made super', async () => {
    assert.deepEqual(await cli(['clients', 'grant', superClient.client_id, '--admin']), {
      client_id: superClient.client_id,
      admin: true,
    });
    const refused = await runCli(['clients', 'grant', publicClient.client_id, '--super'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /confidential/);
    const unknown = await runCli(['clients', 'grant', 'no-such-client', '--super'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no-such-client/);
  });

  it('clients add refuses a public client with an operator flag, in the words of clients grant', async () => {
    const before = await cli(['clients', 'list']);
    for (const [flag, message] of [
      ['--super', 'Only confidential clients can be super clients.'],
      ['--admin', 'Only confidential clients can be admin clients.'],
      ['--introspect', 'Only confidential clients can introspect tokens.'],
    ] as const) {
      const added = await runCli(
        ['clients', 'add', '--name', 'Public', '--type', 'public', flag],
        env,
      );
      assert.equal(added.code, 1, flag);
      assert.equal(added.stdout, '');
      assert.equal(added.stderr, `tokenvakt: ${message}\n`);
      const granted = await runCli(['clients', 'grant', publicClient.client_id, flag], env);
      assert.equal(granted.stderr, `tokenvakt: ${message}\n`);
    }
    assert.deepEqual(await cli(['clients', 'list']), before);
  });

  it('clients add refuses a redirect URI that registration refuses', async () => {
    const before = (await cli(['clients', 'list'])) as unknown[];
    for (const uri of ['http://app.example/cb', 'https://user:pw@app.example/cb']) {
      const added = await runCli(
        ['clients', 'add', '--name', 'Web app', '--type', 'confidential', '--redirect-uri', uri],
        env,
      );
      assert.equal(added.code, 1, uri);
      assert.match(added.stderr, /^tokenvakt: redirect_uri must /);
    }
    assert.deepEqual(await cli(['clients', 'list']), before);
  });

  it('clients add/grant/revoke-flag --introspect: only a flagged resource server introspects, and only it counts as a use', async () => {
    assert.ok(t);
    const app = t;
    const rs = (await cli([
      'clients',
      'add',
      '--name',
      'Resource server',
      '--type',
      'confidential',
      '--introspect',
    ])) as { client_id: string; client_secret: string };
    const listed = (await cli(['clients', 'list'])) as Array<Record<string, unknown>>;
    assert.deepEqual(
      listed.map((c) => [c.client_name, c.introspect]),
      [
        ['Admin dashboard', false],
        ['Query script', false],
        ['Resource server', true],
      ],
    );
    const session = await app
      .http()
      .post('/oauth2/token')
      .auth(superClient.client_id, superClient.client_secret)
      .type('form')
      .send({ grant_type: 'password', username: 'bob', password: 'bob pw with spaces' });
    assert.equal(session.status, 200);
    const accessToken = session.body.access_token as string;
    const lastUsed = async () =>
      (
        await app.dataSource
          .getRepository(Token)
          .findOneByOrFail({ digest: digestSecret(accessToken) })
      ).lastUsedAt;
    const introspect = () =>
      app
        .http()
        .post('/oauth2/introspect')
        .auth(rs.client_id, rs.client_secret)
        .type('form')
        .send({ token: accessToken });

    assert.deepEqual(await cli(['clients', 'revoke-flag', rs.client_id, '--introspect']), {
      client_id: rs.client_id,
      introspect: false,
    });
    const refused = await introspect();
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'unauthorized_client');
    assert.equal(await lastUsed(), null);

    assert.deepEqual(await cli(['clients', 'grant', rs.client_id, '--introspect']), {
      client_id: rs.client_id,
      introspect: true,
    });
    const answered = await introspect();
    assert.equal(answered.status, 200);
    assert.equal(answered.body.active, true);
    assert.ok((await lastUsed()) instanceof Date);
  });

  it('users remove deletes the user and revokes their tokens', async () => {
    assert.ok(t);
    const session = await t
      .http()
      .post('/oauth2/token')
      .auth(superClient.client_id, superClient.client_secret)
      .type('form')
      .send({ grant_type: 'password', username: 'alice', password: 'alice-pw' });
    const token = session.body.access_token as string;
    const before = await t
      .http()
      .post('/oauth2/token/list')
      .set('Authorization', bearer(token))
      .type('form')
      .send({
        super_client_id: superClient.client_id,
        super_client_secret: superClient.client_secret,
        token_type: 'access_token',
      });
    assert.equal(before.status, 200);
    assert.deepEqual(await cli(['users', 'remove', 'alice']), { username: 'alice', removed: true });
    const afterRemoval = await t
      .http()
      .post('/oauth2/token/list')
      .set('Authorization', bearer(token))
      .type('form')
      .send({
        super_client_id: superClient.client_id,
        super_client_secret: superClient.client_secret,
        token_type: 'access_token',
      });
    assert.equal(afterRemoval.status, 401);
    const basic = await t
      .http()
      .post('/oauth2/token/list')
      .set('Authorization', basicAuth('alice', 'alice-pw'))
      .type('form')
      .send({
        super_client_id: superClient.client_id,
        super_client_secret: superClient.client_secret,
        token_type: 'access_token',
      });
    assert.equal(basic.status, 401);
    const again = await runCli(['users', 'remove', 'alice'], env);
    assert.equal(again.code, 1);
  });

  it('tokens purge deletes expired and revoked rows, never a live one', async () => {
    assert.ok(t);
    const login = await t
      .http()
      .post('/oauth2/token')
      .auth(superClient.client_id, superClient.client_secret)
      .type('form')
      .send({ grant_type: 'password', username: 'bob', password: 'bob pw with spaces' });
    assert.equal(login.status, 200);
    const tokens = t.dataSource.getRepository(Token);
    const live = await tokens
      .createQueryBuilder('t')
      .where('t.revoked_at IS NULL')
      .andWhere('t.expires_at > :now', { now: new Date() })
      .getCount();
    const total = await tokens.count();
    assert.ok(live > 0 && total > live, `live ${live}, total ${total}`);
    const purged = (await cli(['tokens', 'purge'])) as { deleted: number };
    assert.equal(purged.deleted, total - live);
    assert.equal(await tokens.count(), live);
    assert.deepEqual(await cli(['tokens', 'purge']), { deleted: 0 });
    const stillWorks = await t
      .http()
      .post('/oauth2/token')
      .auth(superClient.client_id, superClient.client_secret)
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token as string });
    assert.equal(stillWorks.status, 200);
  });

  it('a wrong command prints the usage on stderr and exits 2, with nothing on stdout', async () => {
    for (const args of [
      [],
      ['bogus'],
      ['clients', 'add', '--name', 'x'],
      ['clients', 'grant', 'id'],
      ['clients', 'grant', 'id', '--super', '--introspect'],
    ]) {
      const result = await runCli(args, env);
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /usage: npm run -s cli --/);
    }
  });

  it('runs as `npm run -s cli -- <command>` with only the JSON on stdout', () => {
    const result = spawnSync('npm', ['run', '-s', 'cli', '--', 'clients', 'list'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as unknown[]).length, 3);
  });

  it('clients add takes a name of 3 to 255 characters; clients list shows a source as a JSON object', async () => {
    assert.ok(t);
    const longName = 'L'.repeat(255);
    const long = (await cli(['clients', 'add', '--name', longName, '--type', 'public'])) as {
      client_id: string;
    };
    for (const name of ['L'.repeat(256), 'ab']) {
      const refused = await runCli(['clients', 'add', '--name', name, '--type', 'public'], env);
      assert.equal(refused.code, 1, name);
      assert.equal(refused.stderr, 'tokenvakt: name must be 3 to 255 characters.\n');
    }
    // Registered as Kalamar registers a plugin (the CLI has no option for a source).
    const source = { name: 'Export', embed: [{ panel: 'match', title: 'Export ✓' }] };
    const plugin = await t
      .get(ClientsService)
      .register(
        { name: 'Export plugin', type: 'CONFIDENTIAL', url: 'https://export.example/', source },
        null,
      );
    const listed = (await cli(['clients', 'list'])) as Array<Record<string, unknown>>;
    const entry = (id: string) => listed.find((client) => client.client_id === id);
    assert.equal(entry(long.client_id)?.client_name, longName);
    assert.equal(entry(long.client_id)?.source, null);
    assert.deepEqual(entry(plugin.client_id)?.source, source);
  });

  it('clients grant/revoke-flag --permitted permits a plugin and takes the permission back; clients list shows permitted; a client without a source is refused', async () => {
    assert.ok(t);
    const plugin = await t.get(ClientsService).register(
      {
        name: 'Permitted plugin',
        type: 'CONFIDENTIAL',
        url: 'https://permitted.example/',
        source: { name: 'Permitted' },
      },
      null,
    );
    const permitted = async (id: string) =>
      ((await cli(['clients', 'list'])) as Array<Record<string, unknown>>).find(
        (client) => client.client_id === id,
      )?.permitted;
    assert.equal(await permitted(plugin.client_id), false);
    // Every client without a source is permitted (as Kustvakt registers it).
    assert.equal(await permitted(publicClient.client_id), true);
    assert.deepEqual(await cli(['clients', 'grant', plugin.client_id, '--permitted']), {
      client_id: plugin.client_id,
      permitted: true,
    });
    assert.equal(await permitted(plugin.client_id), true);
    assert.deepEqual(await cli(['clients', 'revoke-flag', plugin.client_id, '--permitted']), {
      client_id: plugin.client_id,
      permitted: false,
    });
    assert.equal(await permitted(plugin.client_id), false);

    const refused = await runCli(['clients', 'grant', superClient.client_id, '--permitted'], env);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      'tokenvakt: Only plugins (clients registered with a source) need to be permitted.\n',
    );
    const two = await runCli(['clients', 'grant', plugin.client_id, '--permitted', '--admin'], env);
    assert.equal(two.code, 2);
    assert.match(two.stderr, /exactly one of --super, --admin, --introspect and --permitted/);
  });
});
