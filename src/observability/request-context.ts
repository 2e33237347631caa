import { randomUUID } from 'node:crypto';

/**
 * A client's X-Request-Id is kept when it is a plausible id; otherwise a new one is made. The
 * id is passed explicitly to what logs for a request (the request line, the exception filter)
 * rather than through AsyncLocalStorage: on Node 20 that turns on promise hooks for every
 * promise in the process, which cost about a fifth of the CPU of a super-client request
 * (BENCHMARKS.md).
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(header)
    ? header
    : randomUUID();
}
