/**
 * Helpers for SQL text that both dialects accept: identifiers in backticks (SQLite takes
 * them as MySQL does) and `?` placeholders. Only for building the repositories' fixed
 * statements once; values always go in as parameters.
 */

/** `alias`.`column` AS `alias_column`, for each column: the row keys a reader expects. */
export function selectList(alias: string, columns: readonly string[]): string {
  return columns.map((column) => `\`${alias}\`.\`${column}\` AS \`${alias}_${column}\``).join(', ');
}

/** `?, ?, ?` for `count` values. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}
