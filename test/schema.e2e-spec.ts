import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { activeTokens, REVOKE } from '../src/tokens/token.sql';
import { startTestApp, type TestApp } from './support/test-app';

describe('database schema', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it("the migrations of this dialect build exactly the entities' schema (generating a migration yields nothing)", async () => {
    // The same comparison `typeorm migration:generate` makes against a migrated database.
    const pending = await t.dataSource.driver.createSchemaBuilder().log();
    assert.deepEqual(
      pending.upQueries.map((q) => q.query.trim()),
      [],
    );
  });

  it('records every migration as applied', async () => {
    const pending = await t.dataSource.showMigrations();
    assert.equal(pending, false);
  });

  it('has an index for every token lookup path', async () => {
    const table = await t.dataSource.createQueryRunner().getTable('tokens');
    assert.ok(table);
    const indices = Object.fromEntries(
      table.indices.map((i) => [i.name, { columns: i.columnNames, unique: i.isUnique }]),
    );
    assert.deepEqual(indices.UQ_tokens_digest, { columns: ['digest'], unique: true });
    assert.deepEqual(indices.IDX_tokens_list?.columns, [
      'user_id',
      'type',
      'expires_at',
      'client_id',
    ]);
    assert.deepEqual(indices.IDX_tokens_family?.columns, ['family_id', 'revoked_at', 'expires_at']);
    assert.deepEqual(indices.IDX_tokens_client?.columns, ['client_id']);
    assert.deepEqual(indices.IDX_tokens_refresh?.columns, ['refresh_token_handle']);
  });

  it("plans the token list as a range over one user's rows in IDX_tokens_list, and the owner-checked revocation on PRIMARY and IDX_tokens_refresh (SQLite; `npm run bench` EXPLAINs MariaDB's on real data)", async (context) => {
    if (t.dataSource.options.type !== 'better-sqlite3') return context.skip('SQLite only');
    const plan = async (sql: string, params: unknown[]): Promise<string> => {
      const rows = await t.dataSource.query<Array<{ detail: string }>>(
        `EXPLAIN QUERY PLAN ${sql}`,
        params,
      );
      return rows.map((row) => row.detail).join(' | ');
    };
    const list = activeTokens({
      bothTypes: false,
      withClientId: false,
      withExcludedClientId: true,
    });
    const listParams = [7, 'access_token', '2026-01-01 00:00:00.000', 'super'];
    for (const [sql, params] of [
      [list.page, [...listParams, 200, 0]],
      [list.count, listParams],
    ] as const) {
      assert.match(
        await plan(sql, [...params]),
        /SEARCH t USING INDEX IDX_tokens_list \(user_id=\? AND type=\? AND expires_at>\?\)/,
      );
    }
    const revoke = await plan(REVOKE.ownedWithIssued, ['2026-01-01', 'h', 7, 'h', 7]);
    assert.match(revoke, /USING INDEX sqlite_autoindex_tokens_1 \(handle=\?\)/);
    assert.match(revoke, /USING INDEX IDX_tokens_refresh \(refresh_token_handle=\?\)/);
    assert.doesNotMatch(revoke, /IDX_tokens_list/);
  });
});
