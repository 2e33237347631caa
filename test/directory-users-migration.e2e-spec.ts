import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { databaseBeforeMigration } from './support/migrations';

interface UserRow {
  id: number;
  username: string;
  password_hash: string | null;
}

/**
 * The DirectoryUsers migration (README: Users in LDAP) makes `users.password_hash` nullable
 * for directory users. On SQLite that copies the table: every row must come over with its id
 * and hash, and the id counter with them, so that no removed user's id is given again (README:
 * Who is who).
 */
describe('the DirectoryUsers migration keeps every user, and every id used', () => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let migrationName: string;

  const users = async (): Promise<UserRow[]> =>
    (
      await dataSource.query<UserRow[]>(
        'SELECT `id`, `username`, `password_hash` FROM `users` ORDER BY `id`',
      )
    ).map((row) => ({ ...row, id: Number(row.id) }));
  const insertUser = (username: string, hash: string | null) =>
    dataSource.query(
      'INSERT INTO `users` (`username`, `password_hash`, `created_at`) VALUES (?, ?, ?)',
      [username, hash, '2026-01-01 00:00:00.000'],
    );

  before(async () => {
    const database = await databaseBeforeMigration('DirectoryUsers');
    drop = database.drop;
    migrationName = database.pending[0] ?? '';
    dataSource = database.previous;
    await insertUser('alice', 'scrypt$alice');
    await insertUser('bob', 'scrypt$bob');
    await insertUser('carol', 'scrypt$carol');
    // carol was removed: her id, the highest given, must never come back.
    await dataSource.query('DELETE FROM `users` WHERE `username` = ?', ['carol']);

    const upgraded = await database.upgrade('one');
    dataSource = upgraded.dataSource;
    assert.deepEqual(upgraded.applied, [migrationName]);
  });
  after(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await drop();
  });

  it('carries every row over with its id and hash, and the id counter on', async () => {
    const before = await users();
    assert.deepEqual(before, [
      { id: 1, username: 'alice', password_hash: 'scrypt$alice' },
      { id: 2, username: 'bob', password_hash: 'scrypt$bob' },
    ]);
    await insertUser('dave', null);
    assert.deepEqual((await users()).at(-1), { id: 4, username: 'dave', password_hash: null });
    await assert.rejects(insertUser('alice', null), 'the username stays unique');
  });

  it('undone, a row without a hash keeps one that matches no password', async () => {
    await dataSource.undoLastMigration();
    assert.deepEqual(await users(), [
      { id: 1, username: 'alice', password_hash: 'scrypt$alice' },
      { id: 2, username: 'bob', password_hash: 'scrypt$bob' },
      { id: 4, username: 'dave', password_hash: '!' },
    ]);
    await assert.rejects(insertUser('erin', null), 'password_hash is NOT NULL again');
    await insertUser('erin', 'scrypt$erin');
    // (InnoDB may have spent a number on a failed insert: higher, never lower or equal.)
    assert.ok(((await users()).at(-1)?.id ?? 0) > 4);
  });
});
