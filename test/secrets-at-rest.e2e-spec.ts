import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  authorizeAndExchange,
  authorizeCode,
  clientBasic,
  createClient,
  createSuperClient,
  createUser,
  listTokens,
  login,
} from './support/factories';
import { bearer, freshDatabaseUrl, startTestApp, type TestApp } from './support/test-app';

/**
 * Tokens, codes, client secrets and passwords are stored only as digests (README: Security model). This runs
 * every flow that creates one, collects each raw value the API handed out, then reads back
 * everything the database holds and looks for them.
 */
describe('secrets at rest', () => {
  let t: TestApp;
  let sqliteFile: string | undefined;
  let dropDatabase: () => Promise<void>;
  const secrets: string[] = [];

  before(async () => {
    const fresh = await freshDatabaseUrl();
    dropDatabase = fresh.drop;
    // On SQLite use a file, so that the raw bytes on disk (and its WAL) can be scanned too.
    sqliteFile = fresh.url.startsWith('sqlite:')
      ? join(mkdtempSync(join(tmpdir(), 'tokenvakt-secrets-')), 'db.sqlite')
      : undefined;
    t = await startTestApp({ DATABASE_URL: sqliteFile ? `sqlite:${sqliteFile}` : fresh.url });

    const superClient = await createSuperClient(t);
    const confidential = await createClient(t);
    const publicClient = await createClient(t, { type: 'PUBLIC' });
    const user = await createUser(t);
    secrets.push(superClient.client_secret ?? '', confidential.client_secret ?? '', user.password);

    const session = await login(t, superClient, user);
    const registered = await t
      .http()
      .post('/oauth2/client/register')
      .set('Authorization', bearer(session.access_token))
      .send({
        name: 'Registered app',
        type: 'CONFIDENTIAL',
        description: 'registered through the API',
        redirect_uri: 'https://registered.example/cb',
      });
    assert.equal(registered.status, 200);
    const code = await authorizeCode(t, { session, client: confidential });
    const exchanged = await t
      .http()
      .post('/oauth2/token')
      .set('Authorization', clientBasic(confidential))
      .type('form')
      .send({ grant_type: 'authorization_code', code });
    const refreshed = await t
      .http()
      .post('/oauth2/token')
      .set('Authorization', clientBasic(confidential))
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token as string });
    const publicTokens = await authorizeAndExchange(t, { session, client: publicClient });
    // A personal token (README: Security model): kept only in memory until the list reveals it.
    const kalamar = await createClient(t, { isSuper: true, redirectUri: 'https://korap.example/' });
    const kalamarSession = await login(t, kalamar, user);
    const personal = await t
      .http()
      .post('/oauth2/client/register')
      .set('Authorization', bearer(kalamarSession.access_token))
      .send({ name: 'Personal', type: 'PUBLIC', description: 'scripts' });
    const page = `https://korap.example/settings/oauth/${personal.body.client_id as string}/token`;
    const personalCode = new URL(
      (
        await t
          .http()
          .get('/oauth2/authorize')
          .set('Authorization', bearer(kalamarSession.access_token))
          .query({
            response_type: 'code',
            client_id: personal.body.client_id,
            redirect_uri: page,
            scope: 'search',
          })
      ).headers.location as string,
    ).searchParams.get('code');
    const personalToken = await t.http().post('/oauth2/token').type('form').send({
      grant_type: 'authorization_code',
      client_id: personal.body.client_id,
      code: personalCode,
      redirect_uri: page,
    });
    const revealed = await listTokens(t, kalamar, bearer(kalamarSession.access_token), {
      client_id: personal.body.client_id as string,
    });
    assert.match(personalToken.body.access_token as string, /^tva_/);
    assert.equal(revealed.body[0]?.token, personalToken.body.access_token);
    const clientCredentials = await t
      .http()
      .post('/oauth2/token')
      .set('Authorization', clientBasic(confidential))
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'search' });
    secrets.push(
      registered.body.client_secret as string,
      session.access_token,
      session.refresh_token ?? '',
      code,
      exchanged.body.access_token as string,
      exchanged.body.refresh_token as string,
      refreshed.body.access_token as string,
      refreshed.body.refresh_token as string,
      publicTokens.access_token,
      clientCredentials.body.access_token as string,
      kalamarSession.access_token,
      personalCode ?? '',
      personalToken.body.access_token as string,
    );
  });
  after(async () => {
    await t.close();
    await dropDatabase();
  });

  it('collected a raw value from every flow', () => {
    assert.equal(secrets.length, 16);
    for (const secret of secrets)
      assert.ok(secret.length >= 8, `empty secret in ${JSON.stringify(secrets)}`);
  });

  it('no table holds a raw token, code, client secret or password', async () => {
    const tables = ['users', 'clients', 'tokens', 'authorization_codes'];
    let rows = 0;
    for (const table of tables) {
      const content = await t.dataSource.query<unknown[]>(`SELECT * FROM ${table}`);
      rows += content.length;
      const dump = JSON.stringify(content);
      for (const secret of secrets) {
        assert.ok(!dump.includes(secret), `${table} contains a raw secret`);
        // Not even the random part without its prefix.
        assert.ok(!dump.includes(secret.slice(4)), `${table} contains the body of a raw secret`);
      }
    }
    assert.ok(rows >= 15, `the flows wrote ${rows} rows`);
  });

  it('the database files on disk hold no raw secret either (SQLite)', (context) => {
    if (!sqliteFile) return context.skip('not on SQLite');
    const files = [sqliteFile, `${sqliteFile}-wal`].filter((f) => existsSync(f));
    assert.ok(files.length > 0);
    for (const file of files) {
      const bytes = readFileSync(file).toString('latin1');
      for (const secret of secrets)
        assert.ok(!bytes.includes(secret.slice(4)), `${file} contains a raw secret`);
    }
  });

  it('passwords are stored as salted scrypt hashes', async () => {
    const users = await t.dataSource.query<Array<{ password_hash: string }>>(
      'SELECT password_hash FROM users',
    );
    assert.ok(users.length > 0);
    for (const { password_hash } of users)
      assert.match(password_hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  });
});
