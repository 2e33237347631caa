import type { OAuthError } from '../common/oauth-error';

/**
 * Kustvakt's legacy error field, for Kalamar (README: Running KorAP's Kalamar against
 * tokenvakt). Kalamar refreshes its session, or drops it, only when a 4xx body has Kustvakt's
 * `errors` array and its first message matches /expired|invalid/. So on Kustvakt's paths the
 * 401 for a dead bearer token carries that array beside the RFC 6750 fields, and no other
 * error carries it: Kalamar drops the session on any 4xx whose first message says "invalid".
 * Elsewhere the body stays pure RFC 6750.
 */

/** The path prefixes Kustvakt serves its API under (oauth2Routes serves them too). */
const KUSTVAKT_PATH = /^\/api\/v1\.[01]\//;

/** Kustvakt's StatusCodes: EXPIRED and INVALID_ACCESS_TOKEN, with Kustvakt's own words. */
const DEAD_BEARER_ERRORS = {
  expired: [2002, 'Access token is expired'],
  invalid: [2006, 'Access token is invalid'],
} as const;

export interface KustvaktErrorFields {
  errors: ReadonlyArray<readonly [number, string]>;
}

/** The fields to add to the JSON body of `error` answered at `url`, if any. */
export function kustvaktErrorFields(
  url: string,
  error: OAuthError,
): KustvaktErrorFields | undefined {
  if (error.deadBearer === undefined || !KUSTVAKT_PATH.test(url)) return undefined;
  return { errors: [DEAD_BEARER_ERRORS[error.deadBearer]] };
}
