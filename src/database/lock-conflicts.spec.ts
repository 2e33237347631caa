import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { User } from '../users/user.entity';
import { dataSourceOptions } from './data-source-options';
import { transactionRetryingLockConflicts } from './lock-conflicts';

describe('transactions on SQLite', () => {
  let dataSource: DataSource;

  before(async () => {
    dataSource = new DataSource(dataSourceOptions({ dialect: 'sqlite', path: ':memory:' }));
    await dataSource.initialize();
    await dataSource.runMigrations();
  });
  after(() => dataSource.destroy());

  const user = (username: string) => ({ username, passwordHash: 'x', createdAt: new Date() });
  const exists = async (username: string) =>
    (await dataSource.getRepository(User).countBy({ username })) === 1;

  it('take turns: one that fails while another runs takes back only its own writes', async () => {
    // TypeORM runs every SQLite statement on one connection: without turns, the second
    // transaction would be a savepoint inside the first, and the first's rollback would
    // take the second's committed write with it.
    const failing = transactionRetryingLockConflicts(dataSource, async (manager) => {
      await manager.getRepository(User).insert(user('undone'));
      await sleep(20);
      throw new Error('gives up');
    });
    await sleep(5);
    await transactionRetryingLockConflicts(dataSource, async (manager) => {
      await manager.getRepository(User).insert(user('kept'));
    });
    await assert.rejects(failing, /gives up/);
    assert.equal(await exists('undone'), false);
    assert.equal(await exists('kept'), true);
  });
});
