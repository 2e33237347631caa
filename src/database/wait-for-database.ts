import Database from 'better-sqlite3';
import type { DatabaseConfig } from '../config/app-config';
import { detectMysqlFlavour, prepareDatabaseFile } from './data-source-options';

/** Errors that may pass (the server is starting, or not yet resolvable in a compose network). */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
]);

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * Before anything else starts: a SQLite file must open as a database (its path and the reason
 * in one line otherwise); a MySQL/MariaDB server must answer, retrying transient failures with
 * exponential backoff for at most `timeoutSeconds`, while wrong credentials or an unknown
 * database fail at once. Start-up then either proceeds or ends with one clear line, never a
 * stack trace.
 */
export async function waitForDatabase(
  database: DatabaseConfig,
  timeoutSeconds: number,
  onRetry: (message: string) => void,
): Promise<void> {
  if (database.dialect === 'sqlite') {
    if (database.path !== ':memory:') checkSqliteDatabase(database.path);
    return;
  }
  const deadline = Date.now() + timeoutSeconds * 1000;
  let delay = 250;
  for (;;) {
    try {
      await detectMysqlFlavour(database.url);
      return;
    } catch (error) {
      const code = errorCode(error);
      const message = error instanceof Error ? error.message : String(error);
      const where = new URL(database.url).host;
      if (code === undefined || !TRANSIENT_CODES.has(code) || Date.now() + delay > deadline) {
        throw new Error(`cannot use the database at ${where}: ${message}`);
      }
      onRetry(`database at ${where} not reachable (${message}); retrying in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

function checkSqliteDatabase(path: string): void {
  prepareDatabaseFile(path);
  try {
    const db = new Database(path, { fileMustExist: true });
    try {
      // Reading the schema fails on a file that is not a SQLite database.
      db.pragma('schema_version');
    } finally {
      db.close();
    }
  } catch (error) {
    throw new Error(
      `cannot use the SQLite database ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
