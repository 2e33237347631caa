import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { ClientsService } from '../src/clients/clients.service';
import { InstalledPlugin } from '../src/kustvakt/plugins/installed-plugin.entity';
import { Token } from '../src/tokens/token.entity';
import { UsersService } from '../src/users/users.service';
import { expectOAuthError } from './support/assertions';
import {
  authorizeAndExchange,
  authorizeCode,
  clientBasic,
  createClient,
  createSuperClient,
  createUser,
  insertClientRow,
  login,
  type TestClient,
  type TestUser,
} from './support/factories';
import { basicAuth, startTestApp, type TestApp } from './support/test-app';
import { databaseBeforeMigration } from './support/migrations';

const SOURCE = { name: 'Export', embed: [{ panel: 'match', title: 'Export' }] };

/** Kalamar's plugin marketplace (README: Plugins), beyond what OAuth2PluginTest covers. */
describe('plugin marketplace (README: Plugins)', () => {
  let t: TestApp;
  let kalamar: TestClient;
  let otherSuper: TestClient;
  let admin: TestClient;
  let alice: TestUser;
  let bob: TestUser;

  const post = (path: string, user: TestUser, form: Record<string, string>) =>
    t.http().post(path).set('Authorization', user.basic).type('form').send(form);
  const superForm = (client: TestClient = kalamar) => ({
    super_client_id: client.client_id,
    super_client_secret: client.client_secret ?? '',
  });
  const install = (user: TestUser, clientId: string, via: TestClient = kalamar, prefix = '') =>
    post(`${prefix}/plugins/install`, user, { ...superForm(via), client_id: clientId });
  const uninstall = (user: TestUser, clientId: string, via: TestClient = kalamar) =>
    post('/plugins/uninstall', user, { ...superForm(via), client_id: clientId });
  const installed = async (user: TestUser, via: TestClient = kalamar): Promise<string[]> => {
    const res = await post('/plugins/installed', user, superForm(via));
    assert.equal(res.status, 200, res.text);
    return (res.body as Array<{ client_id: string }>).map((p) => p.client_id);
  };
  /** A plugin an operator permitted (registered as Kalamar registers one). */
  const permittedPlugin = async (name = 'Export plugin'): Promise<TestClient> => {
    const plugin = await createClient(t, { name, source: SOURCE });
    await t.get(ClientsService).setFlag(plugin.client_id, 'permitted', true);
    return plugin;
  };
  const rows = (where: Partial<InstalledPlugin>) =>
    t.dataSource.getRepository(InstalledPlugin).countBy(where);

  before(async () => {
    t = await startTestApp();
    kalamar = await createSuperClient(t);
    otherSuper = await createSuperClient(t);
    admin = await createClient(t, { name: 'Dashboard', isAdmin: true });
    alice = await createUser(t);
    bob = await createUser(t);
  });
  after(() => t.close());

  it('serves the same routes at /plugins as at /api/v1.1/plugins; only Kustvakt’s paths add its errors array', async () => {
    const plugin = await permittedPlugin();
    const native = await post('/plugins', alice, { ...superForm(), permitted_only: 'true' });
    const kustvakt = await post('/api/v1.1/plugins', alice, {
      ...superForm(),
      permitted_only: 'true',
    });
    assert.equal(native.status, 200, native.text);
    assert.deepEqual(native.body, kustvakt.body);
    assert.ok(
      (native.body as Array<{ client_id: string }>).some((p) => p.client_id === plugin.client_id),
    );

    const missing = await post('/plugins/install', alice, superForm());
    expectOAuthError(missing, 400, 'invalid_request');
    const legacy = await post('/api/v1.0/plugins/install', alice, superForm());
    assert.equal(legacy.status, 400);
    assert.deepEqual((legacy.body as { errors: unknown }).errors, [
      [107, 'client_id is required.'],
    ]);
  });

  it('refuses a permitted_only that is neither true nor false, after the super client', async () => {
    const res = await post('/plugins', alice, { ...superForm(), permitted_only: 'yes' });
    expectOAuthError(res, 400, 'invalid_request');
    const noSuper = await post('/plugins', alice, { permitted_only: 'yes' });
    assert.equal(
      expectOAuthError(noSuper, 400).error_description,
      'Missing parameter: super_client_id',
    );
  });

  it('installs once however many requests race: one 200, the rest 400 with 1851', async () => {
    const plugin = await permittedPlugin('Race plugin');
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => install(alice, plugin.client_id, kalamar, '/api/v1.1')),
    );
    assert.equal(answers.filter((res) => res.status === 200).length, 1);
    for (const res of answers.filter((r) => r.status !== 200)) {
      assert.equal(res.status, 400, res.text);
      assert.deepEqual((res.body as { errors: unknown }).errors, [
        [1851, 'Plugin has been installed.'],
      ]);
    }
    assert.equal(await rows({ userId: alice.id, clientId: plugin.client_id }), 1);
  });

  it('keeps installations per super client and per user: another super client or user sees none of them', async () => {
    const plugin = await permittedPlugin('Per front end');
    assert.equal((await install(alice, plugin.client_id)).status, 200);
    assert.ok((await installed(alice)).includes(plugin.client_id));
    assert.equal((await installed(alice, otherSuper)).includes(plugin.client_id), false);
    assert.equal((await installed(bob)).includes(plugin.client_id), false);
    // The same plugin can be installed in the other front end too.
    assert.equal((await install(alice, plugin.client_id, otherSuper)).status, 200);
    // Uninstalling in one front end leaves the other's.
    assert.equal((await uninstall(alice, plugin.client_id, otherSuper)).status, 200);
    assert.ok((await installed(alice)).includes(plugin.client_id));
    expectOAuthError(await uninstall(bob, plugin.client_id), 404, 'not_found');
  });

  it('uninstall takes the client_id exactly: with a trailing space it is not installed (404), and nothing changes', async () => {
    const plugin = await permittedPlugin('Exact plugin');
    assert.equal((await install(alice, plugin.client_id)).status, 200);
    expectOAuthError(await uninstall(alice, `${plugin.client_id} `), 404, 'not_found');
    expectOAuthError(await install(alice, `${plugin.client_id} `), 404, 'not_found');
    assert.equal(await rows({ userId: alice.id, clientId: plugin.client_id }), 1);
  });

  it("uninstall revokes the user's tokens of that plugin only: not another user's, not another client's", async () => {
    const plugin = await permittedPlugin('Token plugin');
    const other = await createClient(t, { name: 'Other app' });
    const aliceSession = await login(t, kalamar, alice);
    const bobSession = await login(t, kalamar, bob);
    const aliceTokens = await authorizeAndExchange(t, { session: aliceSession, client: plugin });
    const bobTokens = await authorizeAndExchange(t, { session: bobSession, client: plugin });
    const aliceOther = await authorizeAndExchange(t, { session: aliceSession, client: other });
    assert.equal((await install(alice, plugin.client_id)).status, 200);
    assert.equal((await uninstall(alice, plugin.client_id)).status, 200);
    const live = async (userId: number, clientId: string) =>
      (await t.dataSource.getRepository(Token).findBy({ userId, clientId })).filter(
        (token) => token.revokedAt === null,
      ).length;
    assert.equal(await live(alice.id, plugin.client_id), 0);
    assert.ok((await live(bob.id, plugin.client_id)) > 0);
    assert.ok((await live(alice.id, other.client_id)) > 0);
    assert.ok(aliceTokens.access_token && bobTokens.access_token && aliceOther.access_token);
  });

  it("uninstall also ends the user's pending codes for the plugin: one issued before is refused with invalid_grant after", async () => {
    const plugin = await permittedPlugin('Code plugin');
    const session = await login(t, kalamar, alice);
    const code = await authorizeCode(t, { session, client: plugin });
    assert.equal((await install(alice, plugin.client_id)).status, 200);
    assert.equal((await uninstall(alice, plugin.client_id)).status, 200);
    const redeemed = await t
      .http()
      .post('/oauth2/token')
      .set('Authorization', clientBasic(plugin))
      .type('form')
      .send({ grant_type: 'authorization_code', code });
    expectOAuthError(redeemed, 400, 'invalid_grant');
  });

  it('deregistering a plugin, or removing the super client, deletes its installations', async () => {
    const plugin = await permittedPlugin('Short-lived plugin');
    const front = await createSuperClient(t);
    assert.equal((await install(alice, plugin.client_id)).status, 200);
    assert.equal((await install(bob, plugin.client_id, front)).status, 200);
    const kept = await permittedPlugin('Kept plugin');
    assert.equal((await install(alice, kept.client_id, front)).status, 200);
    await t.get(ClientsService).remove(plugin.client_id);
    assert.equal(await rows({ clientId: plugin.client_id }), 0);
    assert.equal(await rows({ clientId: kept.client_id }), 1);
    await t.get(ClientsService).remove(front.client_id);
    assert.equal(await rows({ superClientId: front.client_id }), 0);
  });

  it('the registrant’s deregistration deletes the installations too', async () => {
    const carol = await createUser(t);
    const registered = await t
      .http()
      .post('/oauth2/client/register')
      .set('Authorization', carol.basic)
      .send({
        name: 'Carol plugin',
        type: 'CONFIDENTIAL',
        description: 'A plugin',
        url: 'https://carol.example/',
        source: SOURCE,
      });
    assert.equal(registered.status, 200, registered.text);
    const { client_id: clientId } = registered.body as { client_id: string };
    expectOAuthError(await install(alice, clientId), 400, 'invalid_request');
    await t.get(ClientsService).setFlag(clientId, 'permitted', true);
    assert.equal((await install(alice, clientId)).status, 200);
    const res = await t
      .http()
      .delete(`/oauth2/client/deregister/${clientId}`)
      .set('Authorization', carol.basic);
    assert.equal(res.status, 200, res.text);
    assert.equal(await rows({ clientId }), 0);
  });

  it("users remove deletes the user's installations", async () => {
    const dave = await createUser(t);
    const plugin = await permittedPlugin('Dave plugin');
    assert.equal((await install(dave, plugin.client_id)).status, 200);
    assert.equal((await install(alice, plugin.client_id)).status, 200);
    assert.equal(await t.get(UsersService).remove(dave.username), true);
    assert.equal(await rows({ userId: dave.id }), 0);
    assert.equal(await rows({ userId: alice.id, clientId: plugin.client_id }), 1);
  });

  describe('admin API: PUT/DELETE /admin/clients/{client_id}/permitted', () => {
    const permit = (clientId: string, auth = clientBasic(admin)) =>
      t.http().put(`/admin/clients/${clientId}/permitted`).set('Authorization', auth);
    const forbid = (clientId: string) =>
      t
        .http()
        .delete(`/admin/clients/${clientId}/permitted`)
        .set('Authorization', clientBasic(admin));
    const permitted = async (clientId: string): Promise<boolean> => {
      const res = await post(`/oauth2/client/${clientId}`, alice, superForm());
      return (res.body as { permitted: boolean }).permitted;
    };

    it('permits a plugin (204, also twice) and withdraws it (204); installations already made stay', async () => {
      const plugin = await createClient(t, { name: 'Admin plugin', source: SOURCE });
      assert.equal(await permitted(plugin.client_id), false);
      expectOAuthError(await install(alice, plugin.client_id), 400, 'invalid_request');
      assert.equal((await permit(plugin.client_id)).status, 204);
      assert.equal((await permit(plugin.client_id)).status, 204);
      assert.equal(await permitted(plugin.client_id), true);
      const listed = await post('/plugins', alice, { ...superForm(), permitted_only: 'true' });
      assert.ok(
        (listed.body as Array<{ client_id: string }>).some((p) => p.client_id === plugin.client_id),
      );
      assert.equal((await install(alice, plugin.client_id)).status, 200);

      assert.equal((await forbid(plugin.client_id)).status, 204);
      assert.equal(await permitted(plugin.client_id), false);
      expectOAuthError(await install(bob, plugin.client_id), 400, 'invalid_request');
      assert.ok((await installed(alice)).includes(plugin.client_id));
    });

    it('refuses a client without a source and a public plugin with 400, an unknown client with 404', async () => {
      const web = await createClient(t, { name: 'Web app' });
      assert.match(
        expectOAuthError(await permit(web.client_id), 400, 'invalid_request').error_description,
        /plugins/,
      );
      // A public client with a source, as registration allowed before plugins had to be confidential.
      const legacy = await insertClientRow(t, { type: 'PUBLIC', source: '{"a":1}' });
      expectOAuthError(await permit(legacy), 400, 'invalid_request');
      expectOAuthError(await permit('no-such-client'), 404, 'not_found');
    });

    it('needs an admin client: 401 without credentials, 403 for another client', async () => {
      const plugin = await createClient(t, { name: 'Guarded plugin', source: SOURCE });
      const none = await t.http().put(`/admin/clients/${plugin.client_id}/permitted`);
      expectOAuthError(none, 401, 'invalid_client');
      expectOAuthError(
        await permit(plugin.client_id, clientBasic(kalamar)),
        403,
        'unauthorized_client',
      );
      expectOAuthError(await permit(plugin.client_id, basicAuth(admin.client_id, 'wrong')), 401);
      assert.equal(await permitted(plugin.client_id), false);
    });
  });
});

/**
 * The PluginMarketplace migration (README: Upgrading): every client is kept; a plugin
 * registered before it waits for an operator's permission, every other client is permitted.
 */
describe('the PluginMarketplace migration keeps every client; only plugins wait for permission', () => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;

  before(async () => {
    const database = await databaseBeforeMigration('PluginMarketplace');
    drop = database.drop;
    const previous = database.previous;
    const insert = (id: string, source: string | null) =>
      previous.query(
        'INSERT INTO `clients` (`id`, `name`, `type`, `is_super`, `is_admin`, `may_introspect`, ' +
          '`registration_date`, `source`) VALUES (?, ?, ?, 0, 0, 0, ?, ?)',
        [id, `${id} client`, 'CONFIDENTIAL', '2026-01-01 00:00:00.000', source],
      );
    await insert('web', null);
    await insert('plugin', '{"name":"Export"}');
    const upgraded = await database.upgrade('one');
    dataSource = upgraded.dataSource;
    assert.ok(upgraded.applied.some((name) => name.startsWith('PluginMarketplace')));
  });
  after(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await drop();
  });

  it('keeps both rows, with plugin_permitted 0, and creates an empty installed_plugins', async () => {
    const clients = await dataSource.query<Array<{ id: string; plugin_permitted: unknown }>>(
      'SELECT `id`, `plugin_permitted` FROM `clients` ORDER BY `id`',
    );
    assert.deepEqual(
      clients.map((c) => [c.id, Number(c.plugin_permitted)]),
      [
        ['plugin', 0],
        ['web', 0],
      ],
    );
    assert.deepEqual(await dataSource.query('SELECT * FROM `installed_plugins`'), []);
  });

  it('reverts: the column and the table go, the rows stay', async () => {
    await dataSource.undoLastMigration();
    const clients = await dataSource.query<Array<{ id: string }>>(
      'SELECT * FROM `clients` ORDER BY `id`',
    );
    assert.deepEqual(
      clients.map((c) => c.id),
      ['plugin', 'web'],
    );
    assert.equal('plugin_permitted' in (clients[0] ?? {}), false);
    await assert.rejects(dataSource.query('SELECT * FROM `installed_plugins`'));
  });
});
