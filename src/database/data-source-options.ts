import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DataSourceOptions } from 'typeorm';
import { DEFAULT_SQLITE_PATH, type DatabaseConfig } from '../config/app-config';
import { AuthorizationCode } from '../authorization/authorization-code.entity';
import { Client } from '../clients/client.entity';
import { Token } from '../tokens/token.entity';
import { User } from '../users/user.entity';
import { InstalledPlugin } from '../kustvakt/plugins/installed-plugin.entity';
import { MYSQL_MIGRATIONS } from './migrations/mysql/mysql-migrations';
import { SQLITE_MIGRATIONS } from './migrations/sqlite/sqlite-migrations';

export const ENTITIES = [User, Client, Token, AuthorizationCode, InstalledPlugin];

/**
 * TypeORM options for the configured database. One function serves the app, the CLI and the
 * TypeORM migration tooling (data-source.ts), so all three see the same schema. The schema
 * comes only from the migrations of the dialect; `synchronize` is never on.
 */
export function dataSourceOptions(
  database: DatabaseConfig,
  mysqlFlavour: MysqlFlavour = 'mysql',
  queryTimeoutSeconds = 0,
): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    logging: false,
  } as const;
  if (database.dialect === 'sqlite') {
    if (database.path !== ':memory:') prepareDatabaseFile(database.path);
    return {
      ...common,
      type: 'better-sqlite3',
      database: database.path,
      migrations: SQLITE_MIGRATIONS,
      // WAL lets readers proceed while a writer commits; a busy timeout waits out short locks
      // instead of failing with SQLITE_BUSY.
      enableWAL: database.path !== ':memory:',
      timeout: 5000,
    };
  }
  return {
    ...common,
    type: mysqlFlavour,
    ...mysqlConnection(database.url),
    migrations: MYSQL_MIGRATIONS,
    // Dates are written and read as UTC regardless of the server's time zone.
    timezone: 'Z',
    // mysql2 fails a query that outlives this (PROTOCOL_SEQUENCE_TIMEOUT → 503). It keeps the
    // connection, so requests queued behind it are bounded by REQUEST_TIMEOUT instead.
    ...(queryTimeoutSeconds > 0
      ? { enableQueryTimeout: true, maxQueryExecutionTime: queryTimeoutSeconds * 1000 }
      : {}),
    charset: 'utf8mb4_bin',
    extra: { connectionLimit: 10, connectTimeout: 5000 },
  };
}

/**
 * The SQLite file holds every token digest, client secret digest and password hash: only the
 * service's user may read it. Before SQLite opens it, the file is created 0600 or an existing
 * one (and its -wal and -shm) set to 0600; SQLite creates -wal and -shm with the permissions of
 * the database file. Only the default folder, `data/`, is created (0700): a missing folder
 * elsewhere is more likely a typo in DATABASE_URL than a wish, so it stops start-up instead.
 */
export function prepareDatabaseFile(path: string): void {
  const folder = dirname(resolve(path));
  if (!existsSync(folder)) {
    if (folder !== resolve(dirname(DEFAULT_SQLITE_PATH))) {
      throw new Error(
        `cannot use the SQLite database ${path}: the folder ${folder} does not exist`,
      );
    }
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  }
  try {
    closeSync(openSync(path, 'a', 0o600));
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      if (existsSync(file)) chmodSync(file, 0o600);
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot use the SQLite database ${path}: ${reason}`);
  }
}

/**
 * The server and credentials of a mysql:// URL, percent-decoded. Not TypeORM's `url` option: it
 * takes the user and password literally, so a password with `@`, `:` or `/` (which the URL must
 * carry encoded) would be sent still encoded.
 */
function mysqlConnection(raw: string): {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
} {
  const url = new URL(raw);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || 3306),
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
  };
}

export type MysqlFlavour = 'mysql' | 'mariadb';

/**
 * MySQL and MariaDB share the mysql:// URL and the migrations, but TypeORM reads their
 * catalogues differently (MariaDB quotes column defaults), so it must be told which one it
 * talks to. Asking the server once at start-up keeps DATABASE_URL the same for both.
 */
export async function detectMysqlFlavour(url: string): Promise<MysqlFlavour> {
  const connection = await createConnection({ uri: url, connectTimeout: 5000 });
  try {
    const [rows] = await connection.query('SELECT VERSION() AS version');
    const version = (rows as Array<{ version: string }>)[0]?.version ?? '';
    return /mariadb/i.test(version) ? 'mariadb' : 'mysql';
  } finally {
    await connection.end();
  }
}

/** The options for the configured database, asking a MySQL-protocol server what it is. */
export async function resolveDataSourceOptions(
  database: DatabaseConfig,
  queryTimeoutSeconds: number,
): Promise<DataSourceOptions> {
  const flavour = database.dialect === 'mysql' ? await detectMysqlFlavour(database.url) : 'mysql';
  return dataSourceOptions(database, flavour, queryTimeoutSeconds);
}
