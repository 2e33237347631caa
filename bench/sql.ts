/**
 * The SQL tokenvakt sends for the benchmarked routes: the very statement texts of its
 * repositories (src/tokens/token.sql.ts, src/clients/client.sql.ts), with `?` placeholders.
 * tokenvakt sends them through mysql2's text protocol (`query()`), as the baseline does with
 * `pool.query(sql, values)`, so the bytes on the wire are the same. The baseline server runs
 * exactly these statements; run.ts EXPLAINs the token-list queries.
 */
import { CLIENT_BY_ID } from '../src/clients/client.sql';
import {
  activeTokens,
  insertTokens,
  RECORD_USE,
  REVOKE,
  TOKEN_BY_DIGEST,
  TOKEN_COLUMNS,
} from '../src/tokens/token.sql';

export { CLIENT_BY_ID, RECORD_USE, TOKEN_BY_DIGEST, TOKEN_COLUMNS };

/** TokenService.revoke of an access token. Parameters: now, handle. */
export const REVOKE_BY_HANDLE = REVOKE.byHandle;

/** TokenService.revoke of a refresh token: its whole grant. Parameters: now, family id. */
export const REVOKE_FAMILY = REVOKE.family;

/**
 * /oauth2/revoke/super by handle: owner check and revocation in one. Parameters: now, handle,
 * user id, handle, user id.
 */
export const REVOKE_OWNED_BY_HANDLE = REVOKE.ownedWithIssued;

/** TokenRepository.insert of one token (client credentials). */
export const INSERT_TOKEN = insertTokens(1);

/**
 * The token list of one type, the calling super client excluded, optionally one client only.
 * Parameters: user id, type, now, [clientId], excludeClientId.
 */
export function countActive(withClientId: boolean): string {
  return activeTokens({ bothTypes: false, withClientId, withExcludedClientId: true }).count;
}

/** The list's page: the parameters of countActive, then limit and offset. */
export function pageActive(withClientId: boolean): string {
  return activeTokens({ bothTypes: false, withClientId, withExcludedClientId: true }).page;
}
