import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FailureThrottle } from '../throttling/failure-throttle.service';
import { CheckAbandoned, requestSource } from '../throttling/caller';
import { BEARER_IDENTITY } from '../throttling/throttle.guard';
import { kustvaktErrorFields } from '../kustvakt/kustvakt-errors';
import { MetricsService } from '../observability/metrics.service';
import { OAuthError, type OAuthErrorCode } from './oauth-error';

/** Status → error code for framework errors that are not OAuthErrors (unknown route, etc.). */
const CODE_BY_STATUS: Record<number, OAuthErrorCode> = {
  400: 'invalid_request',
  401: 'invalid_token',
  403: 'access_denied',
  404: 'not_found',
  405: 'invalid_request',
  413: 'request_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'temporarily_unavailable',
};

/**
 * Turns anything thrown while handling a request into tokenvakt's JSON error (README: API at a glance). An
 * unexpected error is logged here, on the server, with the request's id, and answered with a
 * generic 500: no stack, SQL or secret ever reaches the response.
 */
export function toOAuthError(error: unknown, logger: Logger, reply?: FastifyReply): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'server_error' : 'invalid_request');
    return new OAuthError(status, code, describeHttpException(error));
  }
  const frameworkError = fromFrameworkError(error);
  if (frameworkError) return frameworkError;
  // A check given up because its request was answered already (503 at REQUEST_TIMEOUT) or
  // its connection is gone: expected under load, nothing to log, nobody to answer.
  if (error instanceof CheckAbandoned) {
    return new OAuthError(503, 'temporarily_unavailable', 'The request took too long.');
  }
  if (isDatabaseUnavailable(error)) {
    logger.warn({
      msg: `database unavailable: ${error instanceof Error ? error.message : String(error)}`,
      request_id: reply?.getHeader('X-Request-Id'),
    });
    return new OAuthError(
      503,
      'temporarily_unavailable',
      'The database is not available; try again shortly.',
      {
        'Retry-After': '1',
      },
    );
  }
  logger.error({
    msg: error instanceof Error ? (error.stack ?? error.message) : String(error),
    request_id: reply?.getHeader('X-Request-Id'),
  });
  return new OAuthError(500, 'server_error', 'The server could not handle the request.');
}

function describeHttpException(error: HttpException): string {
  if (error.getStatus() === 404) return 'No such route.';
  const response = error.getResponse();
  if (typeof response === 'object' && response !== null && 'message' in response) {
    const message: unknown = response.message;
    if (typeof message === 'string') return message;
    if (Array.isArray(message) && typeof message[0] === 'string') return message[0];
  }
  return error.message;
}

/** Driver error codes that mean the database cannot be reached, not that a query was wrong. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'SQLITE_BUSY',
  // Still conflicting after retryOnLockConflict's attempts: worth trying again shortly.
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'SQLITE_IOERR',
]);

/** True for errors (or TypeORM errors wrapping driver errors) that mean "database down". */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (
    let e: unknown = error, depth = 0;
    typeof e === 'object' && e !== null && depth < 3;
    depth++
  ) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (
      typeof message === 'string' &&
      /Pool is closed|connect ETIMEDOUT|Connection lost/i.test(message)
    ) {
      return true;
    }
    e =
      (e as { driverError?: unknown; cause?: unknown }).driverError ??
      (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Fastify's own errors (body too large, a content type no route parses, a malformed JSON
 * body, a broken URL) carry `FST_` codes and a 4xx `statusCode`; map them to fixed words.
 */
function fromFrameworkError(error: unknown): OAuthError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code !== 'string' || !code.startsWith('FST_')) return undefined;
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  switch (statusCode) {
    case 413:
      return new OAuthError(413, 'request_too_large', 'The request body is larger than 64 KiB.');
    case 415:
      return new OAuthError(
        415,
        'unsupported_media_type',
        'The body content type or encoding is not supported.',
      );
    case 414:
      return OAuthError.invalidRequest('The request URL is too long.');
    default:
      return OAuthError.invalidRequest('The request could not be parsed.');
  }
}

function failureKind(error: OAuthError): 'client' | 'user' | 'bearer' {
  if (error.code === 'invalid_client') return 'client';
  return error.failedCredential === BEARER_IDENTITY ? 'bearer' : 'user';
}

/** True once a response has been sent (or begun) for this reply: nothing more may be sent. */
export function isAnswered(reply: FastifyReply): boolean {
  return reply.sent || reply.raw.headersSent;
}

/**
 * Sends `error` as JSON: the two RFC fields, the authorization request's `state` when the error
 * carries one (OAuthError.withState), then `extraFields` (Kustvakt's, on its paths). `state` is
 * the caller's own text: JSON.stringify encodes it, and `nosniff` keeps a browser from reading
 * the body as anything but JSON.
 */
export function sendOAuthError(reply: FastifyReply, error: OAuthError, extraFields?: object): void {
  void reply
    .code(error.status)
    .headers({
      ...error.headers,
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    })
    .type('application/json; charset=utf-8')
    .send(
      JSON.stringify({
        error: error.code,
        error_description: error.description,
        ...(error.state === undefined ? {} : { state: error.state }),
        ...extraFields,
      }),
    );
}

@Catch()
export class OAuthErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('OAuthErrorFilter');

  constructor(
    private readonly throttle: FailureThrottle,
    private readonly metrics: MetricsService,
  ) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const error = toOAuthError(exception, this.logger, reply);
    // A failed credential counts even when the request was answered already (a 503 at
    // REQUEST_TIMEOUT): a timeout must not be a free guess.
    if (error.failedCredential !== undefined) {
      this.metrics.authenticationFailures.inc({ kind: failureKind(error) });
      if (!error.failureCounted) {
        // Counted before answering, so a client cannot outrun its own count.
        await this.throttle.recordFailure(requestSource(request), error.failedCredential);
      }
    }
    if (!isAnswered(reply)) sendOAuthError(reply, error, kustvaktErrorFields(request.url, error));
  }
}
