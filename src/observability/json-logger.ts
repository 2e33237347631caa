import type { LoggerService } from '@nestjs/common';
import pino, { type Logger as Pino } from 'pino';
import type { LogLevel } from '../config/app-config';

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
  // A personal token waiting to be revealed (PersonalTokenReveal, RevealStore).
  'rawToken',
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
    },
    destination,
  );
}

/**
 * Nest's start-up chatter: a line for every module and every route (about a hundred). It is
 * logged at debug; main.ts says in one info line where tokenvakt listens and on what.
 */
const START_UP_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/** Nest's logger interface on top of pino, so framework and request logs are one JSON stream. */
export class JsonLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, context?: string): void {
    if (context !== undefined && START_UP_CONTEXTS.has(context)) {
      this.pino.debug(fields(message, context), text(message));
    } else {
      this.pino.info(fields(message, context), text(message));
    }
  }

  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?); a stack stays in the log, never in a response.
    const context =
      typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    this.pino.error({ ...fields(message, context), ...(stack ? { stack } : {}) }, text(message));
  }

  warn(message: unknown, context?: string): void {
    this.pino.warn(fields(message, context), text(message));
  }

  debug(message: unknown, context?: string): void {
    this.pino.debug(fields(message, context), text(message));
  }

  verbose(message: unknown, context?: string): void {
    this.pino.trace(fields(message, context), text(message));
  }

  fatal(message: unknown, context?: string): void {
    this.pino.fatal(fields(message, context), text(message));
  }
}

/** A message written as `{ msg, ...fields }` (a LogRecord) logs its fields beside the text. */
export interface LogRecord {
  msg: string;
  [field: string]: unknown;
}

function isLogRecord(message: unknown): message is LogRecord {
  return typeof message === 'object' && message !== null && 'msg' in message;
}

function fields(message: unknown, context: string | undefined): Record<string, unknown> {
  const extra: Record<string, unknown> = isLogRecord(message) ? { ...message } : {};
  delete extra.msg;
  if (context) extra.context = context;
  return extra;
}

function text(message: unknown): string {
  if (isLogRecord(message)) return message.msg;
  return typeof message === 'string'
    ? message
    : message instanceof Error
      ? message.message
      : JSON.stringify(message);
}
