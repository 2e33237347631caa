/**
 * The one domain error of tokenvakt. Services throw it; OAuthErrorFilter turns it into the
 * status, headers and `{"error","error_description"}` body for every route (README: API at a glance).
 * Codes come from RFC 6749 §5.2, RFC 6750 §3.1 and RFC 7009 where one fits.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'invalid_scope'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'access_denied'
  | 'not_found'
  | 'unsupported_media_type'
  | 'request_too_large'
  | 'too_many_requests'
  | 'server_error'
  | 'temporarily_unavailable';

/**
 * What Kustvakt would say about a bearer token it refuses: `expired`, or `invalid` (unknown,
 * revoked, or not an access token). Kalamar reacts to these words (src/kustvakt/).
 */
export type DeadBearer = 'expired' | 'invalid';

/**
 * The longest `state` tokenvakt takes at the authorization endpoint, and so the longest it
 * ever echoes, in a redirect or in an error body (RFC 6749 §4.1.1 sets no limit).
 */
export const MAX_STATE_LENGTH = 1000;

export class OAuthError extends Error {
  /** Set on the 401 for a presented bearer token that is dead; see DeadBearer. */
  deadBearer?: DeadBearer;
  /**
   * Kustvakt's status code for this refusal (src/kustvakt/kustvakt-errors.ts): on Kustvakt's
   * paths the body also carries it, with the description, as Kustvakt's `errors` array.
   */
  kustvaktStatus?: number;
  /**
   * Set when a presented secret, password or bearer token was wrong: the identity it was
   * presented for, counted by the brute-force throttle (README: API at a glance) and in the metrics.
   */
  failedCredential?: string;
  /** True when FailureThrottle.attempt already counted the failure (it reserved it). */
  failureCounted = false;
  /**
   * The authorization request's `state`, echoed in the body of an error the authorization
   * endpoint answers directly (see withState).
   */
  state?: string;

  constructor(
    readonly status: number,
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${code}: ${description}`);
  }

  /**
   * Marks this error as a failed credential check of `identity`; `counted` when the check ran
   * through FailureThrottle.attempt, which counted it already.
   */
  countsAsFailureOf(identity: string, counted = false): this {
    this.failedCredential = identity;
    this.failureCounted = counted;
    return this;
  }

  /**
   * Echoes the authorization request's `state` in this error's body. The errors that must not
   * be redirected (RFC 6749 §4.1.2.1: no trusted redirect URI yet) are answered directly, and
   * Kustvakt puts `state` beside `error` there, so a client can tie the answer to its request.
   * Only a string of 1 to MAX_STATE_LENGTH characters is echoed (the authorize DTO refuses
   * longer ones before this; an empty one is none, as in Kustvakt); the filter writes it
   * JSON-encoded.
   */
  withState(state: string | undefined): this {
    if (typeof state === 'string' && state !== '' && state.length <= MAX_STATE_LENGTH) {
      this.state = state;
    }
    return this;
  }

  /** Names Kustvakt's status code for this refusal (see kustvaktStatus). */
  withKustvaktStatus(code: number): this {
    this.kustvaktStatus = code;
    return this;
  }

  /** Marks this error as the refusal of a dead bearer token (see DeadBearer). */
  refusesBearer(why: DeadBearer): this {
    this.deadBearer = why;
    return this;
  }

  static invalidRequest(description: string): OAuthError {
    return new OAuthError(400, 'invalid_request', description);
  }

  static invalidGrant(description: string): OAuthError {
    return new OAuthError(400, 'invalid_grant', description);
  }

  static invalidScope(description: string): OAuthError {
    return new OAuthError(400, 'invalid_scope', description);
  }

  /**
   * A user credential that is missing or not accepted (RFC 6750 §3.1). The challenge names the
   * scheme the caller used (RFC 9110 §11.6.1): Basic after a failed Basic login, else Bearer.
   */
  static invalidToken(description: string, scheme: 'Bearer' | 'Basic' = 'Bearer'): OAuthError {
    return new OAuthError(401, 'invalid_token', description, {
      'WWW-Authenticate': `${scheme} realm="tokenvakt"`,
    });
  }

  static insufficientScope(description: string): OAuthError {
    return new OAuthError(403, 'insufficient_scope', description, {
      'WWW-Authenticate': 'Bearer realm="tokenvakt", error="insufficient_scope"',
    });
  }

  /**
   * Client authentication failed (RFC 6749 §5.2). Every 401 carries a challenge (RFC 9110
   * §15.5.2), also when the credentials came in the form body: client secrets are Basic's.
   */
  static invalidClient(description: string): OAuthError {
    return new OAuthError(401, 'invalid_client', description, {
      'WWW-Authenticate': 'Basic realm="tokenvakt"',
    });
  }

  static notFound(description: string): OAuthError {
    return new OAuthError(404, 'not_found', description);
  }
}
