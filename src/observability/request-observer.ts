import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger as Pino } from 'pino';
import { OAuthError } from '../common/oauth-error';
import { sendOAuthError } from '../common/oauth-error.filter';
import type { MetricsService } from './metrics.service';
import { requestContext, requestIdFrom } from './request-context';

/** The responses being written, and whether the process is draining (main.ts, on SIGTERM). */
export const httpLifecycle = {
  inFlight: new Set<Response>(),
  draining: false,
  /** From now on every response closes its connection, so no client sends another request on it. */
  startDraining(): void {
    this.draining = true;
    for (const res of this.inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
  },
};

/**
 * The first middleware of every request: gives it a request id (X-Request-Id in and out),
 * and when the response is finished writes one log line and the HTTP metrics. Only the method,
 * the route pattern, the status and the duration are recorded: never a path with values in it,
 * a header, or a body.
 */
export function requestObserver(
  metrics: MetricsService,
  logger: Pino,
  timeoutMs: number,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    if (httpLifecycle.draining) res.shouldKeepAlive = false;
    httpLifecycle.inFlight.add(res);
    // Whatever a request waits for (a stalled database, a pool with no free connection), it
    // is answered within REQUEST_TIMEOUT; a late result is then dropped by the filter.
    const deadline = setTimeout(() => {
      if (res.headersSent) return;
      sendOAuthError(
        res,
        new OAuthError(
          503,
          'temporarily_unavailable',
          'The request took too long; try again shortly.',
          {
            'Retry-After': '1',
          },
        ),
      );
    }, timeoutMs);
    res.once('close', () => {
      clearTimeout(deadline);
      httpLifecycle.inFlight.delete(res);
    });
    // At debug level, also when it starts (no path: paths can carry user names and client ids).
    logger.debug({ request_id: requestId, method: req.method }, 'request started');
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routePattern(req);
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      logger.info(
        {
          request_id: requestId,
          method: req.method,
          route,
          status: res.statusCode,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
        },
        'request',
      );
    });
    requestContext.run({ requestId }, next);
  };
}

/** The matched route's pattern (`/admin/users/:username/tokens`), or a fixed label. */
function routePattern(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (typeof route?.path === 'string') return `${req.baseUrl}${route.path}`;
  return 'unmatched';
}
