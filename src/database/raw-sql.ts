import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';

/** One result row, keyed by the column names (or aliases) of the SELECT. */
export type SqlRow = Record<string, unknown>;

interface SqlResult {
  rows: SqlRow[];
  /** Rows an INSERT, UPDATE or DELETE changed; 0 for a SELECT. */
  affected: number;
}

type Execute = (sql: string, params: readonly unknown[]) => Promise<SqlResult>;

/** The part of a mysql2 pool connection (callback API, as TypeORM's pool hands it out) used here. */
interface MysqlConnection {
  query(
    options: { sql: string; timeout?: number },
    values: readonly unknown[],
    callback: (error: Error | null, result: unknown) => void,
  ): void;
  release(): void;
}

/** The part of a better-sqlite3 prepared statement used here. */
interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): SqlRow[];
  run(...params: unknown[]): { changes: number };
}

/**
 * Runs the repositories' precomputed SQL on the hot paths, where TypeORM's query builder,
 * query runner and entity hydration cost a fifth of the CPU of a request (issue 5). Outside a
 * transaction a statement goes straight to the driver TypeORM opened — the same mysql2 pool or
 * better-sqlite3 connection, so pool size, time zone, charset and busy timeout are TypeORM's —
 * and keeps what the rest of the service relies on:
 *
 * - DATABASE_QUERY_TIMEOUT: mysql2's per-query `timeout`, from the same TypeORM options;
 * - errors as TypeORM throws them (QueryFailedError with the driver's `code` and
 *   `driverError`; connection errors unwrapped), so isDatabaseUnavailable and isLockConflict
 *   recognise them;
 * - inside a transaction (an EntityManager of `dataSource.transaction`), the statement runs on
 *   that transaction's query runner.
 *
 * Values must already be in the driver's form (see `writer`), and the SQL must suit both
 * dialects: backtick-quoted identifiers (SQLite accepts them) and `?` placeholders.
 */
@Injectable()
export class RawSql {
  private readonly execute: Execute;

  constructor(private readonly dataSource: DataSource) {
    const type = dataSource.options.type;
    if (type === 'mysql' || type === 'mariadb') this.execute = mysqlExecutor(dataSource);
    else if (type === 'better-sqlite3') this.execute = sqliteExecutor(dataSource);
    else throw new Error(`RawSql does not support the ${type} driver`);
  }

  /** The rows of a SELECT. */
  async select(sql: string, params: readonly unknown[]): Promise<SqlRow[]> {
    return (await this.execute(sql, params)).rows;
  }

  /** How many rows an INSERT, UPDATE or DELETE changed; in `manager`'s transaction if given. */
  async change(sql: string, params: readonly unknown[], manager?: EntityManager): Promise<number> {
    const queryRunner = manager?.queryRunner;
    if (queryRunner) return (await queryRunner.query(sql, [...params], true)).affected ?? 0;
    return (await this.execute(sql, params)).affected;
  }

  /**
   * A function that builds an entity from a row whose columns are `prefix` + the database
   * column names, converting each value as TypeORM's hydration does (dates, booleans).
   * `columns` is the column list the SQL selects; it must name every column of the entity,
   * so that an entity column added without its SQL fails at start-up, not with a half-read
   * entity.
   */
  reader<T extends object>(
    entity: new () => T,
    columns: readonly string[],
    prefix: string,
  ): (row: SqlRow) => T {
    const metadata = this.dataSource.getMetadata(entity);
    const names = metadata.columns.map((column) => column.databaseName);
    if (names.length !== columns.length || names.some((name) => !columns.includes(name))) {
      throw new Error(
        `the SQL of ${metadata.name} selects [${columns.join(', ')}], ` +
          `but the entity has [${names.join(', ')}]`,
      );
    }
    const driver = this.dataSource.driver;
    const fields = metadata.columns.map((column) => ({
      key: prefix + column.databaseName,
      property: column.propertyName,
      column,
    }));
    return (row) => {
      const target = new entity() as Record<string, unknown>;
      for (const { key, property, column } of fields) {
        target[property] = driver.prepareHydratedValue(row[key], column);
      }
      return target as T;
    };
  }

  /** A function that converts a value of this entity property to the driver's form. */
  writer<T extends object>(
    entity: new () => T,
    property: keyof T & string,
  ): (value: unknown) => unknown {
    const column = this.dataSource.getMetadata(entity).findColumnWithPropertyName(property);
    if (!column) throw new Error(`${entity.name} has no column ${property}`);
    const driver = this.dataSource.driver;
    return (value): unknown => driver.preparePersistentValue(value, column) as unknown;
  }

  /**
   * A function that turns an entity into the values of `columns` (database names), in that
   * order, in the driver's form: the parameters of an INSERT of those columns.
   */
  rowWriter<T extends object>(
    entity: new () => T,
    columns: readonly string[],
  ): (value: T) => unknown[] {
    const metadata = this.dataSource.getMetadata(entity);
    const driver = this.dataSource.driver;
    const ordered = columns.map((name) => {
      const column = metadata.findColumnWithDatabaseName(name);
      if (!column) throw new Error(`${metadata.name} has no column ${name}`);
      return column;
    });
    return (value) =>
      ordered.map((column): unknown => {
        const property: unknown = column.getEntityValue(value);
        return driver.preparePersistentValue(property ?? null, column) as unknown;
      });
  }
}

/**
 * mysql2: a connection from TypeORM's pool (obtainMasterConnection also attaches TypeORM's
 * connection error handler), one query with TypeORM's timeout, release. The connection goes
 * back to the pool when the callback comes, also after a timeout, as TypeORM does.
 */
function mysqlExecutor(dataSource: DataSource): Execute {
  const driver = dataSource.driver as unknown as {
    options: { enableQueryTimeout?: boolean; maxQueryExecutionTime?: number };
    obtainMasterConnection(): Promise<MysqlConnection>;
  };
  const { enableQueryTimeout, maxQueryExecutionTime } = driver.options;
  const timeout = enableQueryTimeout && maxQueryExecutionTime ? maxQueryExecutionTime : undefined;
  return async (sql, params) => {
    const connection = await driver.obtainMasterConnection();
    const result = await new Promise<unknown>((resolve, reject) => {
      connection.query({ sql, timeout }, params, (error, raw) => {
        connection.release();
        if (error) reject(new QueryFailedError(sql, [...params], error));
        else resolve(raw);
      });
    });
    return Array.isArray(result)
      ? { rows: result as SqlRow[], affected: 0 }
      : { rows: [], affected: (result as { affectedRows?: number }).affectedRows ?? 0 };
  };
}

/**
 * better-sqlite3: TypeORM's one connection, each SQL text prepared once. Synchronous, like
 * every statement on that connection; inside a TypeORM transaction it shares the connection,
 * as TypeORM's own queries do.
 */
function sqliteExecutor(dataSource: DataSource): Execute {
  const driver = dataSource.driver as unknown as {
    databaseConnection: { prepare(sql: string): SqliteStatement };
  };
  const statements = new Map<string, SqliteStatement>();
  return (sql, params) => {
    try {
      let statement = statements.get(sql);
      if (!statement) {
        statement = driver.databaseConnection.prepare(sql);
        statements.set(sql, statement);
      }
      return Promise.resolve(
        statement.reader
          ? { rows: statement.all(...params), affected: 0 }
          : { rows: [], affected: statement.run(...params).changes },
      );
    } catch (error) {
      return Promise.reject(new QueryFailedError(sql, [...params], error as Error));
    }
  };
}
