/**
 * The one domain error of tokenvakt. Services throw it; OAuthErrorFilter turns it into the
 * status, headers and `{"error","error_description"}` body of SPEC §2 for every route.
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

export class OAuthError extends Error {
  /**
   * Set when a presented secret, password or bearer token was wrong: the identity it was
   * presented for, counted by the brute-force throttle (SPEC §2).
   */
  failedCredential?: string;

  constructor(
    readonly status: number,
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${code}: ${description}`);
  }

  /** Marks this error as a failed credential check of `identity`. */
  countsAsFailureOf(identity: string): this {
    this.failedCredential = identity;
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

  /** A user credential (Bearer or Basic) that is missing or not accepted (RFC 6750 §3.1). */
  static invalidToken(description: string): OAuthError {
    return new OAuthError(401, 'invalid_token', description, {
      'WWW-Authenticate': 'Bearer realm="tokenvakt"',
    });
  }

  static insufficientScope(description: string): OAuthError {
    return new OAuthError(403, 'insufficient_scope', description, {
      'WWW-Authenticate': 'Bearer realm="tokenvakt", error="insufficient_scope"',
    });
  }

  /** Client authentication failed (RFC 6749 §5.2); Basic callers are told to retry Basic. */
  static invalidClient(description: string, usedBasic = false): OAuthError {
    return new OAuthError(
      401,
      'invalid_client',
      description,
      usedBasic ? { 'WWW-Authenticate': 'Basic realm="tokenvakt"' } : {},
    );
  }

  static notFound(description: string): OAuthError {
    return new OAuthError(404, 'not_found', description);
  }
}
