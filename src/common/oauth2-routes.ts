import { applyDecorators, Header } from '@nestjs/common';

/**
 * Every /oauth2/... route is also served under /api/v1.0/ and /api/v1.1/, so that Kustvakt
 * clients such as Kalamar work unchanged (README: API at a glance).
 */
export function oauth2Routes(path = ''): string[] {
  const suffix = path === '' ? '' : `/${path}`;
  return ['oauth2', 'api/v1.0/oauth2', 'api/v1.1/oauth2'].map((prefix) => prefix + suffix);
}

/** Headers for every response that carries a token or secret (RFC 6749 §5.1). */
export const NO_STORE_HEADERS = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/** A route whose answers carry a token or secret: NO_STORE_HEADERS on success. */
export const NoStore = (): MethodDecorator =>
  applyDecorators(...Object.entries(NO_STORE_HEADERS).map(([name, value]) => Header(name, value)));
