import type { ColumnOptions } from 'typeorm';

/**
 * A UTC timestamp with millisecond precision, the same on SQLite and MySQL/MariaDB. The value
 * is always set by the application (never a database default), so both dialects agree.
 */
export function dateTimeColumn(name: string, nullable = false): ColumnOptions {
  return { name, type: 'datetime', precision: 3, nullable };
}

/** A boolean stored as 0/1 on both dialects. */
export function flagColumn(name: string): ColumnOptions {
  return { name, type: 'boolean', default: false };
}
