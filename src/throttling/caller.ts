import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Who presents credentials, as the failure throttle and the password-check queue see it: the
 * source address failures are counted against, and whether anyone still waits for the answer.
 */
export interface Caller {
  /**
   * The client's address: the TCP peer, or, when the peer is a TRUST_PROXY front end, the
   * client its X-Forwarded-For names (Fastify's request.ip).
   */
  readonly source: string;
  /**
   * True once nobody will read the outcome of work done for this request: it has been
   * answered (a 503 at REQUEST_TIMEOUT, say) or its connection is gone.
   */
  abandoned(): boolean;
}

export function requestSource(request: FastifyRequest): string {
  return request.ip ?? request.socket.remoteAddress ?? 'unknown';
}

export function callerOf(request: FastifyRequest, reply: FastifyReply): Caller {
  return {
    source: requestSource(request),
    // Not request.raw.destroyed: a request whose body has been read is destroyed already.
    abandoned: () => reply.sent || reply.raw.headersSent || reply.raw.destroyed,
  };
}

/** The Caller of the current request, for a handler that checks a secret or password. */
export const RequestCaller = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const http = context.switchToHttp();
  return callerOf(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
});

/**
 * Thrown by a credential check that was given up before it ran, because nobody waits for its
 * answer any more (PasswordCheckQueue). Its reserved failure stays counted: otherwise requests
 * that time out would be free guesses.
 */
export class CheckAbandoned extends Error {
  constructor() {
    super('the credential check was abandoned: the request is no longer waiting');
  }
}
