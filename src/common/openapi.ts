import { applyDecorators, type INestApplication } from '@nestjs/common';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiConsumes,
  ApiExtension,
  ApiProperty,
  ApiResponse,
  DocumentBuilder,
  type OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';
import type { OAuthErrorCode } from './oauth-error';

/** The body of every error (README: API at a glance). */
export class OAuthErrorBody {
  @ApiProperty({ example: 'invalid_request' }) error!: string;
  @ApiProperty({ example: 'token_type must be access_token or refresh_token.' })
  error_description!: string;
}

/** Documents the error rows of a route: `[status, code, when]`. */
export function ApiErrors(
  ...rows: Array<[number, OAuthErrorCode, string]>
): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, string[]>();
  for (const [status, code, when] of rows) {
    byStatus.set(status, [...(byStatus.get(status) ?? []), `\`${code}\`: ${when}`]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, lines]) =>
      ApiResponse({ status, type: OAuthErrorBody, description: lines.join('; ') }),
    ),
    // The same rows, one by one, for docs/api.md's error tables (api-reference.ts).
    ApiExtension(
      'x-errors',
      rows.map(([status, error, when]) => ({ status, error, when })),
    ),
  );
}

/** A route that takes `application/x-www-form-urlencoded`. */
export const ApiForm = (): MethodDecorator & ClassDecorator =>
  ApiConsumes('application/x-www-form-urlencoded');

/** User authentication (README: API at a glance): the super client's Bearer session or Basic credentials. */
export const ApiUserAuth = (): MethodDecorator & ClassDecorator =>
  applyDecorators(ApiBearerAuth('bearer'), ApiBasicAuth('basic'));

/** The user authentication of super-client services (README: API at a glance). */
export const USER_AUTH_ERRORS: Array<[number, OAuthErrorCode, string]> = [
  [401, 'invalid_token', 'user credentials missing, malformed, unknown, expired or revoked'],
  [403, 'insufficient_scope', 'the bearer token was not issued to a super client for a user'],
  [415, 'unsupported_media_type', "the body is not of the route's content type"],
  [429, 'too_many_requests', 'too many failed credential checks from this source'],
];

/** The same for a route where user authentication is optional (OptionalUserAuth). */
export const OPTIONAL_USER_AUTH_ERRORS: Array<[number, OAuthErrorCode, string]> = [
  [401, 'invalid_token', 'user credentials sent, but malformed, unknown, expired or revoked'],
  ...USER_AUTH_ERRORS.slice(1),
];

/** The super-client authentication rows (README: API at a glance). */
export const SUPER_CLIENT_ERRORS: Array<[number, OAuthErrorCode, string]> = [
  [400, 'invalid_request', 'super_client_id or super_client_secret missing'],
  [401, 'invalid_client', 'unknown super client or wrong secret'],
  [403, 'unauthorized_client', 'the client is not a super client'],
];

/** The OpenAPI description of the app's routes, generated from the decorators. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('tokenvakt')
    .setDescription(
      'OAuth 2.0 authorization server for first-party super clients, in the style of KorAP Kustvakt. ' +
        'Every /oauth2/... and /plugins... route is also served under /api/v1.0/ and /api/v1.1/.',
    )
    .setVersion('0.1.0')
    .addBasicAuth({ type: 'http', scheme: 'basic' }, 'basic')
    .addBearerAuth({ type: 'http', scheme: 'bearer' }, 'bearer')
    .build();
  // Only the /oauth2 paths are documented; the Kustvakt aliases are the same routes.
  const document = SwaggerModule.createDocument(app, config);
  document.paths = Object.fromEntries(
    Object.entries(document.paths).filter(([path]) => !path.startsWith('/api/v1.')),
  );
  return document;
}

/** Serves the OpenAPI description at /docs (UI) and /docs-json. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  // Swagger UI's page links its assets relative to the URL it was asked at, which only works
  // for /docs and /docs/: /docs/index.html or /docs/?x=1 would ask for /docs/docs/… and show
  // a blank page. Every other spelling is sent to /docs/.
  const fastify = (app.getHttpAdapter() as FastifyAdapter).getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    const [path, query] = request.url.split('?', 2);
    if (
      request.method === 'GET' &&
      (path === '/docs/index.html' || (path === '/docs/' && query !== undefined))
    ) {
      void reply.redirect('/docs/', 302);
      return;
    }
    done();
  });
}
