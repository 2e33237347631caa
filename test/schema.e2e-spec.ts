import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
    assert.deepEqual(indices.IDX_tokens_family?.columns, ['family_id']);
    assert.deepEqual(indices.IDX_tokens_client?.columns, ['client_id']);
    assert.deepEqual(indices.IDX_tokens_refresh?.columns, ['refresh_token_handle']);
  });
});
