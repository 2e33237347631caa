import { applyDecorators, Header } from '@nestjs/common';

/**
 * Every /oauth2/... route (and /plugins..., see kustvaktRoutes) is also served under /api/v1.0/
 * and /api/v1.1/, so that Kustvakt clients such as Kalamar work unchanged (README: API at a glance).
 */
export function oauth2Routes(path = ''): string[] {
  return kustvaktRoutes(path === '' ? 'oauth2' : `oauth2/${path}`);
}

/** `path` and Kustvakt's `api/v1.0/<path>` and `api/v1.1/<path>`, e.g. for `plugins`. */
export function kustvaktRoutes(path: string): string[] {
  return ['', 'api/v1.0/', 'api/v1.1/'].map((prefix) => prefix + path);
}

/** Headers for every response that carries a token or secret (RFC 6749 §5.1). */
export const NO_STORE_HEADERS = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/** A route whose answers carry a token or secret: NO_STORE_HEADERS on success. */
export const NoStore = (): MethodDecorator =>
  applyDecorators(...Object.entries(NO_STORE_HEADERS).map(([name, value]) => Header(name, value)));
