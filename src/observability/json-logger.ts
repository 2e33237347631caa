import type { LoggerService } from '@nestjs/common';
import pino, { type Logger as Pino } from 'pino';
import type { LogLevel } from '../config/app-config';
import { requestContext } from './request-context';

/**
 * Field names whose values must never reach a log, wherever they appear. tokenvakt does not
 * log request bodies or headers at all; this is the second line of defence.
 */
export const REDACTED_KEYS = [
  'authorization',
  'password',
  'token',
  'access_token',
  'refresh_token',
  'code',
  'code_verifier',
  'client_secret',
  'super_client_secret',
  'secret',
];

export function createPino(level: LogLevel, destination?: pino.DestinationStream): Pino {
  return pino(
    {
      level,
      base: { service: 'tokenvakt' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
        censor: '[redacted]',
      },
      // Every line written while a request is handled names it.
      mixin: () => {
        const context = requestContext.getStore();
        return context ? { request_id: context.requestId } : {};
      },
    },
    destination,
  );
}

/** Nest's logger interface on top of pino, so framework and request logs are one JSON stream. */
export class JsonLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, context?: string): void {
    this.pino.info(fields(context), text(message));
  }

  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?); a stack stays in the log, never in a response.
    const context =
      typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    this.pino.error({ ...fields(context), ...(stack ? { stack } : {}) }, text(message));
  }

  warn(message: unknown, context?: string): void {
    this.pino.warn(fields(context), text(message));
  }

  debug(message: unknown, context?: string): void {
    this.pino.debug(fields(context), text(message));
  }

  verbose(message: unknown, context?: string): void {
    this.pino.trace(fields(context), text(message));
  }

  fatal(message: unknown, context?: string): void {
    this.pino.fatal(fields(context), text(message));
  }
}

function fields(context: string | undefined): Record<string, string> {
  return context ? { context } : {};
}

function text(message: unknown): string {
  return typeof message === 'string'
    ? message
    : message instanceof Error
      ? message.message
      : JSON.stringify(message);
}
