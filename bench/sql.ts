/**
 * The SQL tokenvakt sends through TypeORM for the benchmarked routes, as captured in
 * MariaDB's general log, with `?` placeholders where TypeORM interpolates values (TypeORM
 * uses mysql2's text protocol, `query()`, so the bytes on the wire are the same when the
 * baseline calls `pool.query(sql, values)`). The baseline server runs exactly these
 * statements; run.ts EXPLAINs the token-list queries.
 */

export const TOKEN_COLUMNS = [
  'handle',
  'digest',
  'type',
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

const CLIENT_COLUMNS = [
  'id',
  'name',
  'type',
  'secret_digest',
  'is_super',
  'is_admin',
  'description',
  'url',
  'redirect_uri',
  'refresh_token_expiry',
  'registered_by',
  'registration_date',
] as const;

function select(alias: string, columns: readonly string[]): string {
  return columns.map((c) => `\`${alias}\`.\`${c}\` AS \`${alias}_${c}\``).join(', ');
}

const TOKEN_WITH_CLIENT = `${select('t', TOKEN_COLUMNS)}, ${select('c', CLIENT_COLUMNS)}`;

/** TokenRepository.findByDigest: the bearer / introspection lookup, joined to its client. */
export const TOKEN_BY_DIGEST =
  `SELECT ${TOKEN_WITH_CLIENT} FROM \`tokens\` \`t\` ` +
  'LEFT JOIN `clients` `c` ON `c`.`id` = `t`.`client_id` WHERE `t`.`digest` = ?';

/** TokenRepository.findByHandle. */
export const TOKEN_BY_HANDLE =
  `SELECT ${select('Token', TOKEN_COLUMNS)} FROM \`tokens\` \`Token\` ` +
  'WHERE ((`Token`.`handle` = ?)) LIMIT 1';

/** ClientRepository.findById. */
export const CLIENT_BY_ID =
  `SELECT ${select('Client', CLIENT_COLUMNS)} FROM \`clients\` \`Client\` ` +
  'WHERE ((`Client`.`id` = ?)) LIMIT 1';

/** TokenRepository.recordUse (only when the recorded use is a minute old or more). */
export const RECORD_USE =
  'UPDATE `tokens` SET `last_used_at` = ? WHERE `handle` = ? ' +
  'AND (`last_used_at` IS NULL OR `last_used_at` <= ?)';

/** TokenRepository.revokeByHandle. */
export const REVOKE_BY_HANDLE =
  'UPDATE `tokens` SET `revoked_at` = ? WHERE (`handle` = ? AND `revoked_at` IS NULL)';

/** TokenRepository.revokeIssuedWith (refresh tokens take their access tokens along). */
export const REVOKE_ISSUED_WITH =
  'UPDATE `tokens` SET `revoked_at` = ? ' +
  'WHERE (`refresh_token_handle` = ? AND `revoked_at` IS NULL)';

/** TokenRepository.insert of one row; MariaDB gets `RETURNING` for the column default. */
export function insertToken(mariadb: boolean): string {
  const columns = TOKEN_COLUMNS.map((c) => `\`${c}\``).join(', ');
  const values = TOKEN_COLUMNS.map(() => '?').join(', ');
  return (
    `INSERT INTO \`tokens\`(${columns}) VALUES (${values})` +
    (mariadb ? ' RETURNING `rotated`' : '')
  );
}

/**
 * The WHERE clause of TokenRepository.findActive for one token type, the calling super client
 * excluded, optionally one client only. Parameters: username, type, now, [clientId],
 * excludeClientId.
 */
function activeWhere(withClientId: boolean): string {
  return (
    'WHERE `t`.`username` = ? AND `t`.`type` IN (?) AND `t`.`expires_at` > ? ' +
    'AND `t`.`revoked_at` IS NULL' +
    (withClientId ? ' AND `t`.`client_id` = ?' : '') +
    ' AND `t`.`client_id` <> ?'
  );
}

/** findActive's getCount(). */
export function countActive(withClientId: boolean): string {
  return `SELECT COUNT(1) AS \`cnt\` FROM \`tokens\` \`t\` ${activeWhere(withClientId)}`;
}

/** findActive's page: parameters of activeWhere, then limit and offset. */
export function pageActive(withClientId: boolean): string {
  return (
    `SELECT ${TOKEN_WITH_CLIENT} FROM \`tokens\` \`t\` ` +
    'LEFT JOIN `clients` `c` ON `c`.`id` = `t`.`client_id` ' +
    `${activeWhere(withClientId)} ORDER BY \`t\`.\`created_at\` ASC, \`t\`.\`handle\` ASC ` +
    'LIMIT ? OFFSET ?'
  );
}
