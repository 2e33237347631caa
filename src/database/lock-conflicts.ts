import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Errors where the database gave up one of two conflicting writers, not the request's own
 * fault: InnoDB deadlocks and lock-wait timeouts (a revoke-all's range lock meeting a
 * refresh's inserts), SQLite's busy database. Running the same work again is safe here: the
 * conditional updates are re-checked and new secrets are generated.
 */
const LOCK_CONFLICT_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY']);

export function isLockConflict(error: unknown): boolean {
  for (
    let e: unknown = error, depth = 0;
    typeof e === 'object' && e !== null && depth < 3;
    depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && LOCK_CONFLICT_CODES.has(code)) return true;
    e = (e as { driverError?: unknown }).driverError;
  }
  return false;
}

/** Runs `work` again (up to `attempts` times, with a short random pause) on a lock conflict. */
export async function retryOnLockConflict<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isLockConflict(error)) throw error;
      await sleep(5 + Math.random() * 20 * attempt);
    }
  }
}

/**
 * A transaction that is run again, whole, when the database aborted it to break a lock
 * conflict. On SQLite, transactions take turns (see inTurn).
 */
export function transactionRetryingLockConflicts<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return retryOnLockConflict(() => inTurn(dataSource, () => dataSource.transaction(work)));
}

/** The last transaction in line, per SQLite data source. */
const lastInLine = new WeakMap<DataSource, Promise<unknown>>();

/**
 * TypeORM runs every SQLite statement on one connection, so a transaction begun while another
 * is open becomes a savepoint inside it: the first to roll back would take the other's writes
 * with it, though that one had answered success. On SQLite, transactions therefore run one
 * after the other; MySQL/MariaDB give each its own pooled connection.
 */
function inTurn<T>(dataSource: DataSource, run: () => Promise<T>): Promise<T> {
  if (dataSource.options.type !== 'better-sqlite3') return run();
  const mine = (lastInLine.get(dataSource) ?? Promise.resolve()).then(run);
  lastInLine.set(
    dataSource,
    mine.catch(() => undefined),
  );
  return mine;
}
