import { Logger, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
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
  expressApp.use(express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 100 }));
  expressApp.use(express.json({ limit: BODY_LIMIT }));
  // Body-parser errors happen before Nest routes the request, so they are answered here,
  // with the same JSON error shape the exception filter uses.
  const nestLogger = new Logger('HTTP');
  expressApp.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    sendOAuthError(res, toOAuthError(error, nestLogger));
  });
  setupOpenApi(app);
  return expressApp;
}
