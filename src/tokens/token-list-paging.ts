import { OAuthError } from '../common/oauth-error';
import { TOKEN_TYPES, type TokenType } from './token.entity';

export const MAX_RESULTS_LIMIT = 200;

export interface Paging {
  start: number;
  maxResults: number;
  countsOnly: boolean;
}

export function parseTokenType(raw: string | undefined): TokenType {
  const type = TOKEN_TYPES.find((t) => t === raw);
  if (!type) throw OAuthError.invalidRequest('token_type must be access_token or refresh_token.');
  return type;
}

/** `start` (0-based, default 0), `max_results` (1..200, default 200), `counts_only`. */
export function parsePaging(raw: {
  start?: string;
  max_results?: string;
  counts_only?: string;
}): Paging {
  const start = raw.start === undefined ? 0 : parseWholeNumber(raw.start);
  if (start === undefined)
    throw OAuthError.invalidRequest('start must be a whole number, 0 or more.');
  const maxResults =
    raw.max_results === undefined ? MAX_RESULTS_LIMIT : parseWholeNumber(raw.max_results);
  if (maxResults === undefined || maxResults < 1 || maxResults > MAX_RESULTS_LIMIT) {
    throw OAuthError.invalidRequest(
      `max_results must be a whole number from 1 to ${MAX_RESULTS_LIMIT}.`,
    );
  }
  if (raw.counts_only !== undefined && raw.counts_only !== 'true' && raw.counts_only !== 'false') {
    throw OAuthError.invalidRequest('counts_only must be true or false.');
  }
  return { start, maxResults, countsOnly: raw.counts_only === 'true' };
}

function parseWholeNumber(raw: string): number | undefined {
  return /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
}
