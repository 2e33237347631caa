import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { parse as parseQueryString } from 'node:querystring';
import type { Logger as Pino } from 'pino';
import { Logger } from '@nestjs/common';
import { OAuthError } from './common/oauth-error';
import { sendOAuthError, toOAuthError } from './common/oauth-error.filter';
import { setupOpenApi } from './common/openapi';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { MetricsService } from './observability/metrics.service';
import { observeRequests } from './observability/request-observer';

/** Bodies over 64 KiB are refused with 413 (README: API at a glance). */
const BODY_LIMIT_BYTES = 64 * 1024;
/** More form fields than any route takes, many times over. */
const MAX_FORM_FIELDS = 100;
/**
 * Deeper than any JSON body needs (a Kalamar plugin description nests about five levels), and
 * far from where class-transformer and JSON.stringify, which recurse, run out of stack.
 */
const MAX_JSON_DEPTH = 64;
const frameworkLogger = new Logger('HTTP');

/**
 * The HTTP layer is Fastify (through Nest's adapter): on the benchmarked routes it costs a
 * fraction of Express's CPU per request (BENCHMARKS.md). main.ts and the e2e tests both
 * create the app with this adapter and then call configureApp, so tests run exactly what
 * production runs.
 */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Behind the TRUST_PROXY front ends, request.ip is the client their X-Forwarded-For names
    // (the address left of the last trusted hop); anyone else's header is ignored.
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    clientErrorHandler: answerMalformedRequest,
    // A URL the router cannot decode is refused before any route or exception filter runs.
    frameworkErrors: (error: Error, _request: FastifyRequest, reply: FastifyReply) => {
      sendOAuthError(reply, toOAuthError(error, frameworkLogger, reply));
    },
  });
}

/**
 * Everything about the HTTP application that is not a module: request ids, logs and metrics,
 * the body parsers, OpenAPI. The app must be created with `{ bodyParser: false }`: the
 * parsers here replace Nest's defaults.
 */
export function configureApp(app: NestFastifyApplication, logger: Pino): void {
  const fastify = app.getHttpAdapter().getInstance();
  const config = app.get<AppConfig>(APP_CONFIG);
  observeRequests(fastify, app.get(MetricsService), logger, config.requestTimeout * 1000);
  registerBodyParsers(fastify);
  if (config.docsEnabled) setupOpenApi(app);
}

/**
 * Form and JSON bodies, UTF-8 and uncompressed only: no client needs to compress a 64 KiB
 * form, so a Content-Encoding other than identity is refused (415), as is another charset.
 * A repeated form field arrives as an array, which the DTO validation then refuses.
 */
function registerBodyParsers(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const refusal = notPlainUtf8(request);
    if (refusal) return done(refusal);
    if (body === '') return done(null, {});
    void parseJson(request, String(body), (error, parsed) => {
      if (error) return done(OAuthError.invalidRequest('The request body is not valid JSON.'));
      if (typeof parsed !== 'object' || parsed === null) {
        return done(OAuthError.invalidRequest('The request body must be a JSON object.'));
      }
      const problem = jsonBodyProblem(parsed);
      if (problem) return done(OAuthError.invalidRequest(problem));
      done(null, parsed);
    });
  });
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (request, body, done) => {
      const refusal = notPlainUtf8(request);
      if (refusal) return done(refusal);
      if (typeof body !== 'string' || body.split('&').length > MAX_FORM_FIELDS) {
        return done(OAuthError.invalidRequest('The request body has too many fields.'));
      }
      const form = parseQueryString(body);
      // An ordinary key of this prototype-less object, but dangerous once copied into a DTO.
      delete form.__proto__;
      done(null, form);
    },
  );
}

/**
 * Why a parsed JSON body is refused, or undefined; found without recursion. Nesting deeper
 * than MAX_JSON_DEPTH, and the keys `constructor` and `prototype` at any depth, which Nest's
 * ValidationPipe deletes wherever they are (against prototype pollution): refused, rather
 * than silently dropped from what a client registers as its `source`. (`__proto__` does not
 * get here: the parser refuses it.)
 */
function jsonBodyProblem(body: unknown): string | undefined {
  const pending: Array<{ value: unknown; depth: number }> = [{ value: body, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_JSON_DEPTH) {
      return `The request body nests more than ${MAX_JSON_DEPTH} levels of objects and arrays.`;
    }
    if (Object.hasOwn(value, 'constructor') || Object.hasOwn(value, 'prototype')) {
      return 'The request body must not contain the keys "constructor" and "prototype".';
    }
    for (const child of Object.values(value)) pending.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}

/** The 415 for a compressed or non-UTF-8 body, or undefined when the body can be read. */
function notPlainUtf8(request: FastifyRequest): OAuthError | undefined {
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return new OAuthError(415, 'unsupported_media_type', 'Compressed bodies are not supported.');
  }
  const charset = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(request.headers['content-type'] ?? '');
  if (charset && charset[2]?.toLowerCase() !== 'utf-8') {
    return new OAuthError(415, 'unsupported_media_type', 'The body must be UTF-8.');
  }
  return undefined;
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over 16 KiB, broken
 * request lines) get a JSON error too, instead of a bare status line.
 */
function answerMalformedRequest(error: NodeJS.ErrnoException, socket: Socket): void {
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
}
