import { Logger, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger as Pino } from 'pino';
import { sendOAuthError, toOAuthError } from './common/oauth-error.filter';
import { setupOpenApi } from './common/openapi';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { MetricsService } from './observability/metrics.service';
import { requestObserver } from './observability/request-observer';

/** SPEC §2: bodies over 64 KiB are refused with 413. */
const BODY_LIMIT = '64kb';

/**
 * Everything about the HTTP application that is not a module: request ids, logs and metrics,
 * body parsing and its errors. main.ts and the e2e tests both call this, so tests run exactly
 * what production runs. The app must be created with `{ bodyParser: false }`.
 */
export function configureApp(app: INestApplication, logger: Pino): NestExpressApplication {
  const expressApp = app as NestExpressApplication;
  expressApp.disable('x-powered-by');
  // Express's automatic weak ETags would mark error bodies; tokenvakt sets ETags itself where
  // they mean something.
  expressApp.set('etag', false);
  // First, so that every request, even one refused by the body parser, is logged and counted.
  const config = app.get<AppConfig>(APP_CONFIG);
  expressApp.use(requestObserver(app.get(MetricsService), logger, config.requestTimeout * 1000));
  // inflate off: no client needs to compress a 64 KiB form, so compressed bodies are 415.
  expressApp.use(
    express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 100, inflate: false }),
  );
  expressApp.use(express.json({ limit: BODY_LIMIT, inflate: false }));
  // Body-parser errors happen before Nest routes the request, so they are answered here,
  // with the same JSON error shape the exception filter uses.
  const nestLogger = new Logger('HTTP');
  expressApp.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    sendOAuthError(res, toOAuthError(error, nestLogger));
  });
  answerMalformedRequestsWithJson(expressApp.getHttpServer());
  setupOpenApi(app);
  return expressApp;
}

/**
 * Requests Node's HTTP parser refuses before Express sees them (headers over 16 KiB, broken
 * request lines) get a JSON error too, instead of a bare status line.
 */
function answerMalformedRequestsWithJson(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({
      error: 'invalid_request',
      error_description: tooLarge
        ? 'The request headers are too large.'
        : 'The request is malformed.',
    });
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
