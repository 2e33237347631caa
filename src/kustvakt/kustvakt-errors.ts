import type { OAuthError } from '../common/oauth-error';

/**
 * Kustvakt's legacy error field, for Kalamar (README: Running KorAP's Kalamar against
 * tokenvakt). Kalamar refreshes its session, or drops it, only when a 4xx body has Kustvakt's
 * `errors` array and its first message matches /expired|invalid/. So on Kustvakt's paths the
 * 401 for a dead bearer token carries that array beside the RFC 6750 fields. The only other
 * errors that carry it are the plugin marketplace's own refusals (README: Plugins), with
 * Kustvakt's status code and tokenvakt's description, which never says "expired" or "invalid":
 * Kalamar drops the session on any 4xx whose first message says "invalid".
 * Elsewhere the body stays pure RFC 6749/6750.
 */

/** The path prefixes Kustvakt serves its API under (kustvaktRoutes serves them too). */
const KUSTVAKT_PATH = /^\/api\/v1\.[01]\//;

/** What makes Kalamar refresh or drop its session when it is the first `errors` message. */
const SESSION_ENDING_MESSAGE = /expired|invalid/;

/**
 * Kustvakt's StatusCodes (de.ids_mannheim.korap.exceptions.StatusCodes) that tokenvakt sends:
 * EXPIRED and INVALID_ACCESS_TOKEN for a dead bearer token, the rest for the plugin routes.
 */
export const KUSTVAKT_STATUS = {
  MISSING_PARAMETER: 105,
  INVALID_ARGUMENT: 107,
  NO_RESOURCE_FOUND: 114,
  PLUGIN_NOT_PERMITTED: 1850,
  PLUGIN_HAS_BEEN_INSTALLED: 1851,
  EXPIRED: 2003,
  INVALID_ACCESS_TOKEN: 2011,
} as const;

/** A dead bearer token, with Kustvakt's own words. */
const DEAD_BEARER_ERRORS = {
  expired: [KUSTVAKT_STATUS.EXPIRED, 'Access token is expired'],
  invalid: [KUSTVAKT_STATUS.INVALID_ACCESS_TOKEN, 'Access token is invalid'],
} as const;

export interface KustvaktErrorFields {
  errors: ReadonlyArray<readonly [number, string]>;
}

/** The fields to add to the JSON body of `error` answered at `url`, if any. */
export function kustvaktErrorFields(
  url: string,
  error: OAuthError,
): KustvaktErrorFields | undefined {
  if (!KUSTVAKT_PATH.test(url)) return undefined;
  if (error.deadBearer !== undefined) return { errors: [DEAD_BEARER_ERRORS[error.deadBearer]] };
  // A description that Kalamar would take for a dead session is never sent as a message.
  if (error.kustvaktStatus === undefined || SESSION_ENDING_MESSAGE.test(error.description)) {
    return undefined;
  }
  return { errors: [[error.kustvaktStatus, error.description]] };
}
