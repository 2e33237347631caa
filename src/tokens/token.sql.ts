import { CLIENT_ALIAS, CLIENT_COLUMNS } from '../clients/client.sql';
import { placeholders, selectList } from '../database/sql-text';

/**
 * The statements TokenRepository sends without TypeORM's query builder, built once at load:
 * one text for SQLite and MySQL/MariaDB (see sql-text.ts). The benchmark's baseline sends
 * the same texts (bench/sql.ts).
 */

/** Every column of `tokens`, as the raw statements select and insert them. */
export const TOKEN_COLUMNS = [
  'handle',
  'digest',
  'type',
  'user_id',
  'username',
  'client_id',
  'scope',
  'family_id',
  'refresh_token_handle',
  'created_at',
  'expires_at',
  'user_authenticated_at',
  'revoked_at',
  'last_used_at',
  'rotated',
] as const;

/** The alias of `tokens` in every SELECT here: row keys are `t_<column>` (and `c_<column>`). */
export const TOKEN_ALIAS = 't';

const TOKEN_WITH_CLIENT =
  `${selectList(TOKEN_ALIAS, TOKEN_COLUMNS)}, ${selectList(CLIENT_ALIAS, CLIENT_COLUMNS)} ` +
  'FROM `tokens` `t` LEFT JOIN `clients` `c` ON `c`.`id` = `t`.`client_id`';

/** A token by the digest of its raw value, with its client (UQ_tokens_digest). */
export const TOKEN_BY_DIGEST = `SELECT ${TOKEN_WITH_CLIENT} WHERE \`t\`.\`digest\` = ?`;

/** Parameters: now, handle, now minus the resolution. */
export const RECORD_USE =
  'UPDATE `tokens` SET `last_used_at` = ? WHERE `handle` = ? ' +
  'AND (`last_used_at` IS NULL OR `last_used_at` <= ?)';

function buildInsert(rows: number): string {
  const row = `(${placeholders(TOKEN_COLUMNS.length)})`;
  return (
    `INSERT INTO \`tokens\` (${TOKEN_COLUMNS.map((c) => `\`${c}\``).join(', ')}) VALUES ` +
    Array.from({ length: rows }, () => row).join(', ')
  );
}

/** An access token alone, or a refresh token with its access token. */
const INSERT_TOKENS = new Map([1, 2].map((rows) => [rows, buildInsert(rows)]));

/** Parameters: the rows' values, row after row, in TOKEN_COLUMNS order. */
export function insertTokens(rows: number): string {
  return INSERT_TOKENS.get(rows) ?? buildInsert(rows);
}

/**
 * The conditional revocations: each sets `revoked_at` (the first parameter) on the live
 * tokens matching its condition (the other parameters), and the number of rows it changed
 * tells the caller whether it won a race.
 */
function revokeWhere(condition: string, alsoSet = ''): string {
  return `UPDATE \`tokens\` SET \`revoked_at\` = ?${alsoSet} WHERE ${condition} AND \`revoked_at\` IS NULL`;
}

export const REVOKE = {
  /** One token (PRIMARY). */
  byHandle: revokeWhere('`handle` = ?'),
  /**
   * A token and, for a refresh token, the access tokens issued with it (PRIMARY and
   * IDX_tokens_refresh), only if the token is this user's: revocation by handle (RFC 7009
   * §2.1). For an access token's handle only the token itself matches: no token names it as
   * its refresh token. Parameters: now, handle, user id, handle, user id. The owner is repeated in each branch of the OR, and written `+user_id`, so that
   * SQLite, like MariaDB, takes PRIMARY and IDX_tokens_refresh rather than all of the user's
   * rows in IDX_tokens_list: without statistics an equality on the first column of either
   * index looks alike to SQLite, and the unary plus (a no-op to MariaDB) takes the owner's
   * column out of its choice.
   */
  ownedWithIssued: revokeWhere(
    '((`handle` = ? AND +`user_id` = ?) OR (`refresh_token_handle` = ? AND +`user_id` = ?))',
  ),
  /** A refresh token exchanged: revoked and marked. Parameters: now, rotated (true), handle. */
  rotate: revokeWhere('`handle` = ?', ', `rotated` = ?'),
  issuedWith: revokeWhere('`refresh_token_handle` = ?'),
  /** A whole grant (IDX_tokens_family): reuse, and a refresh token revoked by its value. */
  family: revokeWhere('`family_id` = ?'),
  user: revokeWhere('`user_id` = ?'),
  userAndClient: revokeWhere('`user_id` = ? AND `client_id` = ?'),
  client: revokeWhere('`client_id` = ?'),
} as const;

/** Which conditions a token-list query has; each shape has its own two statements. */
export interface ActiveTokensShape {
  /** Both token types (the admin API without token_type), else one. */
  bothTypes: boolean;
  withClientId: boolean;
  withExcludedClientId: boolean;
}

function shapeKey(shape: ActiveTokensShape): string {
  return `${+shape.bothTypes}${+shape.withClientId}${+shape.withExcludedClientId}`;
}

function buildActiveTokens(shape: ActiveTokensShape): { count: string; page: string } {
  const where =
    'WHERE `t`.`user_id` = ? ' +
    (shape.bothTypes ? 'AND `t`.`type` IN (?, ?) ' : 'AND `t`.`type` = ? ') +
    'AND `t`.`expires_at` > ? AND `t`.`revoked_at` IS NULL' +
    (shape.withClientId ? ' AND `t`.`client_id` = ?' : '') +
    (shape.withExcludedClientId ? ' AND `t`.`client_id` <> ?' : '');
  return {
    count: `SELECT COUNT(*) AS \`total\` FROM \`tokens\` \`t\` ${where}`,
    page:
      `SELECT ${TOKEN_WITH_CLIENT} ${where} ` +
      'ORDER BY `t`.`created_at` ASC, `t`.`handle` ASC LIMIT ? OFFSET ?',
  };
}

const ACTIVE_TOKENS = new Map(
  [false, true].flatMap((bothTypes) =>
    [false, true].flatMap((withClientId) =>
      [false, true].map((withExcludedClientId) => {
        const shape = { bothTypes, withClientId, withExcludedClientId };
        return [shapeKey(shape), buildActiveTokens(shape)] as const;
      }),
    ),
  ),
);

/**
 * The token list's COUNT and page. Parameters: user id, the type (or both types), now,
 * [client id], [excluded client id]; the page then takes limit and offset. Served by
 * IDX_tokens_list (user_id, type, expires_at, client_id): a range over one user's rows.
 */
export function activeTokens(shape: ActiveTokensShape): { count: string; page: string } {
  const statements = ACTIVE_TOKENS.get(shapeKey(shape));
  if (!statements) throw new Error('unreachable: every shape is built at load');
  return statements;
}
