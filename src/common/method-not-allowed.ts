import type { FastifyInstance } from 'fastify';
import { OAuthError } from './oauth-error';
import { sendOAuthError } from './oauth-error.filter';

export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const ROUTE_METHODS: readonly RouteMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Answers every method but `allow` on the route pattern `url` with `405 Method Not Allowed`
 * and an `Allow` header (RFC 9110 §15.5.6), instead of the router's 404: the resource exists,
 * the method is wrong. HEAD comes with GET; OPTIONS is left alone.
 */
export function answerMethodNotAllowed(
  fastify: FastifyInstance,
  url: string,
  allow: readonly RouteMethod[],
): void {
  const description = `${url} takes ${allow.join(' or ')} only.`;
  fastify.route({
    method: ROUTE_METHODS.filter((method) => !allow.includes(method)),
    url,
    handler: (_request, reply) => {
      sendOAuthError(
        reply,
        new OAuthError(405, 'invalid_request', description, { Allow: allow.join(', ') }),
      );
    },
  });
}
