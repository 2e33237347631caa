import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource, QueryFailedError } from 'typeorm';
import { Token } from '../tokens/token.entity';
import { insertTokens, TOKEN_COLUMNS } from '../tokens/token.sql';
import { dataSourceOptions } from './data-source-options';
import { RawSql } from './raw-sql';
import { placeholders, selectList } from './sql-text';

const SELECT_TOKENS = `SELECT ${selectList('t', TOKEN_COLUMNS)} FROM \`tokens\` \`t\``;

function token(handle: string, changes: Partial<Token> = {}): Token {
  return Object.assign(new Token(), {
    handle,
    digest: handle.padEnd(64, '0'),
    type: 'access_token',
    userId: 7,
    username: 'alice',
    clientId: 'client',
    scope: 'search',
    familyId: 'family',
    refreshTokenHandle: null,
    createdAt: new Date('2026-01-02T03:04:05.678Z'),
    expiresAt: new Date('2026-01-02T04:04:05.678Z'),
    userAuthenticatedAt: null,
    revokedAt: null,
    lastUsedAt: null,
    rotated: false,
    ...changes,
  });
}

describe('RawSql (SQLite)', () => {
  let dataSource: DataSource;
  let sql: RawSql;

  before(async () => {
    dataSource = new DataSource(dataSourceOptions({ dialect: 'sqlite', path: ':memory:' }));
    await dataSource.initialize();
    await dataSource.runMigrations();
    sql = new RawSql(dataSource);
  });
  after(() => dataSource.destroy());

  it('writes and reads back an entity as TypeORM does: dates, booleans and nulls', async () => {
    const written = token('roundtrip', {
      rotated: true,
      lastUsedAt: new Date('2026-01-02T03:30:00.001Z'),
    });
    const values = sql.rowWriter(Token, TOKEN_COLUMNS);
    assert.equal(await sql.change(insertTokens(1), values(written)), 1);
    const read = sql.reader(Token, TOKEN_COLUMNS, 't_');
    const [row] = await sql.select(`${SELECT_TOKENS} WHERE \`t\`.\`handle\` = ?`, ['roundtrip']);
    assert.ok(row);
    const fromRaw = read(row);
    assert.ok(fromRaw instanceof Token);
    assert.deepEqual({ ...fromRaw }, { ...written });
    const fromTypeOrm = await dataSource
      .getRepository(Token)
      .findOneByOrFail({ handle: 'roundtrip' });
    assert.deepEqual({ ...fromRaw }, { ...fromTypeOrm });
  });

  it('compares written dates in time order (SQLite stores them as text)', async () => {
    const values = sql.rowWriter(Token, TOKEN_COLUMNS);
    const expiresAt = sql.writer(Token, 'expiresAt');
    for (const [handle, iso] of [
      ['early', '2026-03-01T09:59:59.999Z'],
      ['late', '2026-03-01T10:00:00.000Z'],
    ] as const) {
      await sql.change(insertTokens(1), values(token(handle, { expiresAt: new Date(iso) })));
    }
    const rows = await sql.select(
      `${SELECT_TOKENS} WHERE \`t\`.\`expires_at\` > ? AND \`t\`.\`handle\` IN (${placeholders(2)})`,
      [expiresAt(new Date('2026-03-01T09:59:59.999Z')), 'early', 'late'],
    );
    assert.deepEqual(
      rows.map((row) => row.t_handle),
      ['late'],
    );
  });

  it('counts the rows a statement changed, inside a transaction too', async () => {
    const values = sql.rowWriter(Token, TOKEN_COLUMNS);
    await sql.change(insertTokens(2), [...values(token('a1')), ...values(token('a2'))]);
    const revoke =
      'UPDATE `tokens` SET `revoked_at` = ? WHERE `handle` IN (?, ?) AND `revoked_at` IS NULL';
    const now = sql.writer(Token, 'revokedAt')(new Date());
    assert.equal(await sql.change(revoke, [now, 'a1', 'nothing']), 1);
    await dataSource.transaction(async (manager) => {
      assert.equal(await sql.change(revoke, [now, 'a1', 'a2'], manager), 1);
    });
    assert.equal(await sql.change(revoke, [now, 'a1', 'a2']), 0);
  });

  it("rejects a failed statement as TypeORM does, with the driver's code", async () => {
    await assert.rejects(sql.select('SELECT * FROM `no_such_table`', []), (error: unknown) => {
      assert.ok(error instanceof QueryFailedError);
      assert.equal((error as QueryFailedError & { code?: string }).code, 'SQLITE_ERROR');
      assert.equal((error.driverError as { code?: string }).code, 'SQLITE_ERROR');
      return true;
    });
  });

  it('refuses, at start-up, a column list that does not cover the entity', () => {
    assert.throws(() => sql.reader(Token, TOKEN_COLUMNS.slice(1), 't_'), /handle/);
  });
});
