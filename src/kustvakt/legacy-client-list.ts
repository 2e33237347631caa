import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ClientListSelection } from '../clients/clients.service';

/**
 * Kustvakt's API versions, as the first segment of its paths (oauth2Routes serves both), or
 * undefined on tokenvakt's own paths.
 */
export type KustvaktApiVersion = 'v1.0' | 'v1.1';

const VERSION_IN_ROUTE = /^\/api\/(v1\.[01])\//;

/**
 * The Kustvakt API version of the route that matched the request. Read from the route's
 * pattern, not the raw URL, so it names the path the router actually chose.
 */
export const RouteApiVersion = createParamDecorator(
  (_: unknown, context: ExecutionContext): KustvaktApiVersion | undefined => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const match = VERSION_IN_ROUTE.exec(request.routeOptions.url ?? '');
    return match?.[1] as KustvaktApiVersion | undefined;
  },
);

/** The list fields this module reads; `filter_by` is the one tokenvakt's own path knows. */
export interface LegacyClientListFields {
  filter_by?: string;
  authorized_only?: string;
}

/**
 * What Kustvakt's `listUserClients` (OAuthClientController) lists when `filter_by` does not
 * decide, or undefined when it does (or on tokenvakt's own path, where it is required):
 *
 * - v1.0: `authorized_only=true` (case-insensitive, Java's Boolean.valueOf; anything else is
 *   false) lists the authorized clients and wins over `filter_by`; without either, the owned
 *   clients. Older Kalamar sends `authorized_only=no` and nothing else: its own clients.
 * - v1.1: `authorized_only` is ignored; without `filter_by`, the authorized clients followed by
 *   the owned ones (current Kalamar sends only `authorized_only=no`).
 *
 * An empty `filter_by` counts as absent (RFC 6749 §3.1), as in Kustvakt (`filterBy.isEmpty()`).
 */
export function legacyClientListSelection(
  version: KustvaktApiVersion | undefined,
  form: LegacyClientListFields,
): ClientListSelection | undefined {
  if (version === undefined) return undefined;
  if (version === 'v1.0' && form.authorized_only?.toLowerCase() === 'true') {
    return 'authorized_only';
  }
  if (form.filter_by !== undefined && form.filter_by !== '') return undefined;
  return version === 'v1.0' ? 'owned_only' : 'authorized_and_owned';
}
