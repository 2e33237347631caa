import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { digestSecret, generateSecret, SECRET_PREFIX } from '../src/auth/secrets';
import { AuthorizationCode } from '../src/authorization/authorization-code.entity';
import { Client } from '../src/clients/client.entity';
import { Token } from '../src/tokens/token.entity';
import { bearer, startTestApp, type TestApp } from './support/test-app';
import { databaseBeforeMigration } from './support/migrations';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A date as both dialects store datetime(3) columns (UTC, as TypeORM writes them). */
const sqlDate = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');

/**
 * The UserIds migration on a database that was in use before it: rows of the name-based
 * schema are carried over to user ids. "carol" was removed and re-created, so what the first
 * carol had must not become the second one's; "dave" was removed for good.
 */
describe('the UserIds migration carries rows of the name-based schema over', () => {
  let url: string;
  let drop: () => Promise<void>;
  let dataSource: DataSource;
  let migratedFrom: number;
  let migratedUntil: number;
  const ids = { alice: 0, carol: 0 };
  const now = Date.now();

  const superSecret = generateSecret(SECRET_PREFIX.clientSecret);
  const appSecret = generateSecret(SECRET_PREFIX.clientSecret);
  const raw = {
    aliceSession: generateSecret(SECRET_PREFIX.accessToken),
    carolSession: generateSecret(SECRET_PREFIX.accessToken),
    daveLive: generateSecret(SECRET_PREFIX.accessToken),
    oldCarolRefresh: generateSecret(SECRET_PREFIX.refreshToken),
    aliceCode: generateSecret(SECRET_PREFIX.authorizationCode),
  };

  before(async () => {
    const database = await databaseBeforeMigration('UserIds');
    url = database.url;
    drop = database.drop;
    await seedNameBasedRows(database.previous);

    migratedFrom = Date.now();
    const upgraded = await database.upgrade('all');
    migratedUntil = Date.now();
    dataSource = upgraded.dataSource;
    // UserIds, then every later migration, as an upgrade applies them.
    assert.deepEqual(upgraded.applied, database.pending);
  });
  after(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await drop();
  });

  async function seedNameBasedRows(db: DataSource): Promise<void> {
    const insert = (table: string, row: Record<string, unknown>) => {
      const columns = Object.keys(row);
      return db.query(
        `INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(', ')}) ` +
          `VALUES (${columns.map(() => '?').join(', ')})`,
        Object.values(row).map((v) => (v instanceof Date ? sqlDate(v) : v)),
      );
    };
    const user = (username: string, createdAt: Date) =>
      insert('users', { username, password_hash: 'scrypt$unusable', created_at: createdAt });
    await user('alice', new Date(now - 30 * DAY));
    // The second carol; the first was removed before she was created.
    await user('carol', new Date(now - 10 * DAY));
    for (const name of ['alice', 'carol'] as const) {
      const [row] = await db.query<Array<{ id: number }>>(
        'SELECT `id` FROM `users` WHERE `username` = ?',
        [name],
      );
      ids[name] = Number(row?.id);
    }

    const client = (id: string, registeredBy: string | null, registeredAt: Date, secret?: string) =>
      insert('clients', {
        id,
        name: `Client ${id}`,
        type: 'CONFIDENTIAL',
        secret_digest: secret === undefined ? null : digestSecret(secret),
        is_super: id === 'mig-super' ? 1 : 0,
        is_admin: 0,
        redirect_uri: id === 'mig-super' ? null : `https://${id}.example/cb`,
        registered_by: registeredBy,
        registration_date: registeredAt,
      });
    await client('mig-super', null, new Date(now - 40 * DAY), superSecret);
    await client('mig-alice', 'alice', new Date(now - 20 * DAY), appSecret);
    await client('mig-dave', 'dave', new Date(now - 25 * DAY));
    await client('mig-old-carol', 'carol', new Date(now - 15 * DAY));
    await client('mig-new-carol', 'carol', new Date(now - 5 * DAY));

    const token = (
      handle: string,
      rawValue: string,
      fields: {
        username: string | null;
        clientId: string;
        authenticatedAt: Date | null;
        revokedAt?: Date;
      },
    ) =>
      insert('tokens', {
        handle,
        digest: digestSecret(rawValue),
        type: rawValue.startsWith(SECRET_PREFIX.refreshToken) ? 'refresh_token' : 'access_token',
        username: fields.username,
        client_id: fields.clientId,
        scope: fields.clientId === 'mig-super' ? 'all' : 'search',
        family_id: `family-${handle}`,
        created_at: fields.authenticatedAt ?? new Date(now - HOUR),
        expires_at: new Date(now + 300 * DAY),
        user_authenticated_at: fields.authenticatedAt,
        revoked_at: fields.revokedAt ?? null,
        rotated: 0,
      });
    await token('alice-session', raw.aliceSession, {
      username: 'alice',
      clientId: 'mig-super',
      authenticatedAt: new Date(now - HOUR),
    });
    await token('client-credentials', generateSecret(SECRET_PREFIX.accessToken), {
      username: null,
      clientId: 'mig-alice',
      authenticatedAt: null,
    });
    await token('dave-live', raw.daveLive, {
      username: 'dave',
      clientId: 'mig-alice',
      authenticatedAt: new Date(now - 26 * DAY),
    });
    await token('dave-revoked', generateSecret(SECRET_PREFIX.accessToken), {
      username: 'dave',
      clientId: 'mig-alice',
      authenticatedAt: new Date(now - 26 * DAY),
      revokedAt: new Date(now - 3 * DAY),
    });
    await token('old-carol-refresh', raw.oldCarolRefresh, {
      username: 'carol',
      clientId: 'mig-alice',
      authenticatedAt: new Date(now - 15 * DAY),
    });
    await token('carol-session', raw.carolSession, {
      username: 'carol',
      clientId: 'mig-super',
      authenticatedAt: new Date(now - 2 * HOUR),
    });

    const code = (digest: string, username: string, authenticatedAt: Date) =>
      insert('authorization_codes', {
        digest,
        client_id: 'mig-alice',
        username,
        redirect_uri: 'https://mig-alice.example/cb',
        redirect_uri_sent: 0,
        scope: 'search',
        code_challenge: null,
        family_id: `family-${username}-code`,
        user_authenticated_at: authenticatedAt,
        created_at: new Date(now - 60_000),
        expires_at: new Date(now + 10 * 60_000),
        redeemed_at: null,
      });
    await code(digestSecret(raw.aliceCode), 'alice', new Date(now - HOUR));
    await code('dave-code'.padEnd(64, '0'), 'dave', new Date(now - 26 * DAY));
    await code('old-carol-code'.padEnd(64, '0'), 'carol', new Date(now - 15 * DAY));
  }

  const tokenRow = (handle: string) => dataSource.getRepository(Token).findOneByOrFail({ handle });

  /** revoked_at was set by the migration: now, as the service reads dates back. */
  function assertRevokedByMigration(row: Token): void {
    assert.ok(row.revokedAt, `${row.handle} is not revoked`);
    const at = row.revokedAt.getTime();
    assert.ok(
      at >= migratedFrom - 2000 && at <= migratedUntil + 2000,
      `${row.handle} revoked at ${row.revokedAt.toISOString()}`,
    );
  }

  it("gives a user's tokens their user's id, and client-credentials tokens none", async () => {
    const alice = await tokenRow('alice-session');
    assert.equal(alice.userId, ids.alice);
    assert.equal(alice.revokedAt, null);
    const carol = await tokenRow('carol-session');
    assert.equal(carol.userId, ids.carol);
    assert.equal(carol.revokedAt, null);
    const clientCredentials = await tokenRow('client-credentials');
    assert.equal(clientCredentials.userId, null);
    assert.equal(clientCredentials.revokedAt, null);
  });

  it('revokes the live tokens of users who are gone, and of an earlier user of the same name', async () => {
    for (const handle of ['dave-live', 'old-carol-refresh']) {
      const row = await tokenRow(handle);
      assert.equal(row.userId, null, handle);
      assertRevokedByMigration(row);
    }
    const alreadyRevoked = await tokenRow('dave-revoked');
    assert.equal(alreadyRevoked.revokedAt?.getTime(), now - 3 * DAY);
  });

  it('keeps the codes of existing users, bound to their id, and deletes the others', async () => {
    const codes = await dataSource.getRepository(AuthorizationCode).find();
    assert.deepEqual(
      codes.map((c) => [c.digest, c.userId, c.username]),
      [[digestSecret(raw.aliceCode), ids.alice, 'alice']],
    );
  });

  it("gives clients their registrant's id, and no owner when the registrant is gone or was an earlier user of the name", async () => {
    const clients = await dataSource.getRepository(Client).find({ order: { id: 'ASC' } });
    assert.deepEqual(
      clients.map((c) => [c.id, c.registeredByUserId, c.registeredBy]),
      [
        ['mig-alice', ids.alice, 'alice'],
        ['mig-dave', null, 'dave'],
        ['mig-new-carol', ids.carol, 'carol'],
        ['mig-old-carol', null, 'carol'],
        ['mig-super', null, null],
      ],
    );
  });

  describe('the service on the migrated database', () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ DATABASE_URL: url });
    });
    after(() => t.close());

    const superForm = { super_client_id: 'mig-super', super_client_secret: superSecret };

    it("takes a carried-over session and code as their user's: the code's token is listed for alice", async () => {
      const redeemed = await t
        .http()
        .post('/oauth2/token')
        .auth('mig-alice', appSecret)
        .type('form')
        .send({ grant_type: 'authorization_code', code: raw.aliceCode });
      assert.equal(redeemed.status, 200, redeemed.text);
      const list = await t
        .http()
        .post('/oauth2/token/list')
        .set('Authorization', bearer(raw.aliceSession))
        .type('form')
        .send({ ...superForm, token_type: 'access_token' });
      assert.equal(list.status, 200, list.text);
      const [entry, ...rest] = list.body as Array<{ client_id: string }>;
      assert.equal(entry?.client_id, 'mig-alice');
      assert.deepEqual(rest, []);
    });

    it("shows the second carol only the client she registered, and none of the first carol's tokens", async () => {
      const owned = await t
        .http()
        .post('/oauth2/client/list')
        .set('Authorization', bearer(raw.carolSession))
        .type('form')
        .send({ ...superForm, filter_by: 'owned_only' });
      assert.equal(owned.status, 200, owned.text);
      assert.deepEqual(
        (owned.body as Array<{ client_id: string }>).map((c) => c.client_id),
        ['mig-new-carol'],
      );
      const refreshTokens = await t
        .http()
        .post('/oauth2/token/list')
        .set('Authorization', bearer(raw.carolSession))
        .type('form')
        .send({ ...superForm, token_type: 'refresh_token' });
      assert.equal(refreshTokens.status, 200, refreshTokens.text);
      assert.deepEqual(refreshTokens.body, []);
    });
  });
});
