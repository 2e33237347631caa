import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Logger as Pino } from 'pino';
import { OAuthError } from '../common/oauth-error';
import { isAnswered, sendOAuthError } from '../common/oauth-error.filter';
import type { MetricsService } from './metrics.service';
import { requestIdFrom } from './request-context';

/** The responses being written, and whether the process is draining (main.ts, on SIGTERM). */
export const httpLifecycle = {
  inFlight: new Set<ServerResponse>(),
  draining: false,
  /** From now on every response closes its connection, so no client sends another request on it. */
  startDraining(): void {
    this.draining = true;
    for (const res of this.inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
  },
};

/**
 * Hooks every request: gives it a request id (X-Request-Id in and out), bounds it by
 * REQUEST_TIMEOUT, and when the response is finished writes one log line and the HTTP
 * metrics. Only the method, the route pattern, the status and the duration are recorded,
 * and in the log the client's address (request.ip: behind a TRUST_PROXY front end, the
 * forwarded client): never a path with values in it, a header, or a body. The metrics carry
 * no addresses.
 */
export function observeRequests(
  fastify: FastifyInstance,
  metrics: MetricsService,
  logger: Pino,
  timeoutMs: number,
): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const requestId = requestIdFrom(request.headers['x-request-id']);
    void reply.header('X-Request-Id', requestId);
    const res = reply.raw;
    if (httpLifecycle.draining) res.shouldKeepAlive = false;
    httpLifecycle.inFlight.add(res);
    // Whatever a request waits for (a stalled database, a pool with no free connection), it
    // is answered within REQUEST_TIMEOUT; a late result is then dropped.
    const deadline = setTimeout(() => answerTooLate(reply), timeoutMs);
    res.once('close', () => {
      clearTimeout(deadline);
      httpLifecycle.inFlight.delete(res);
    });
    // At debug level, also when it starts (no path: paths can carry user names and client ids).
    logger.debug({ request_id: requestId, method: request.method }, 'request started');
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, seconds);
    logger.info(
      {
        request_id: reply.getHeader('X-Request-Id'),
        method: request.method,
        route,
        client: request.ip,
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 1e3) / 1e3,
      },
      'request',
    );
    done();
  });
}

function answerTooLate(reply: FastifyReply): void {
  if (isAnswered(reply)) return;
  sendOAuthError(
    reply,
    new OAuthError(
      503,
      'temporarily_unavailable',
      'The request took too long; try again shortly.',
      {
        'Retry-After': '1',
      },
    ),
  );
}
