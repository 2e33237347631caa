import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type MigrationInterface } from 'typeorm';
import { parseDatabaseUrl } from '../../src/config/app-config';
import { resolveDataSourceOptions } from '../../src/database/data-source-options';
import { freshDatabaseUrl } from './test-app';

/** A fresh database as it stood just before one migration, for a test of that migration. */
export interface DatabaseBeforeMigration {
  /** Where it lives: a SQLite file (it must outlive one connection), or a fresh MySQL database. */
  url: string;
  /** Open and migrated up to just before the migration: seed the rows an older version left. */
  previous: DataSource;
  /** The migration's full name, then every later one, in the order an upgrade applies them. */
  pending: string[];
  /**
   * Closes `previous` and, on a new connection, applies the migration (`'all'`: and every later
   * one, as an upgrade would). Returns that connection and the names it applied.
   */
  upgrade: (through: 'one' | 'all') => Promise<{ dataSource: DataSource; applied: string[] }>;
  drop: () => Promise<void>;
}

/** Prepares a fresh database up to the migration whose name starts with `name`. */
export async function databaseBeforeMigration(name: string): Promise<DatabaseBeforeMigration> {
  const fresh = await freshDatabaseUrl();
  const url =
    fresh.url === 'sqlite::memory:'
      ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'tokenvakt-migration-')), 'db.sqlite')}`
      : fresh.url;
  const options = await resolveDataSourceOptions(parseDatabaseUrl(url), 0);
  const migrations = options.migrations as Array<new () => MigrationInterface>;
  const index = migrations.findIndex((m) => m.name.startsWith(name));
  assert.ok(index > 0, `no migration ${name} after the first`);
  const previous = new DataSource({ ...options, migrations: migrations.slice(0, index) });
  await previous.initialize();
  await previous.runMigrations();
  return {
    url,
    previous,
    pending: migrations.slice(index).map((m) => m.name),
    upgrade: async (through) => {
      await previous.destroy();
      const dataSource = new DataSource({
        ...options,
        migrations: through === 'all' ? migrations : migrations.slice(0, index + 1),
      });
      await dataSource.initialize();
      const applied = await dataSource.runMigrations();
      return { dataSource, applied: applied.map((m) => m.name) };
    },
    drop: fresh.drop,
  };
}
