import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Inject, NotFoundException, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiErrors } from '../common/openapi';
import { ALL_SCOPE, APP_CONFIG, type AppConfig } from '../config/app-config';

/** RFC 8414 §2: what a client needs to know to talk to this server. */
export interface AuthorizationServerMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
  scopes_supported: string[];
  response_types_supported: string[];
  response_modes_supported: string[];
  grant_types_supported: string[];
  code_challenge_methods_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  revocation_endpoint_auth_methods_supported: string[];
  introspection_endpoint_auth_methods_supported: string[];
  authorization_response_iss_parameter_supported: boolean;
}

const WELL_KNOWN_PATH = '/.well-known/oauth-authorization-server';

@Controller('.well-known')
export class MetadataController {
  private readonly metadata: AuthorizationServerMetadata;
  /**
   * Where RFC 8414 §3.1 puts the metadata of an issuer with a path: the well-known segment
   * between the host and the path (`https://korap.example/tokenvakt` →
   * `/.well-known/oauth-authorization-server/tokenvakt`). Undefined for an issuer without one.
   */
  private readonly pathSuffixedLocation: string | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const endpoint = (path: string): string => `${config.issuer}/oauth2/${path}`;
    const issuerPath = new URL(config.issuer).pathname;
    this.pathSuffixedLocation = issuerPath === '/' ? undefined : WELL_KNOWN_PATH + issuerPath;
    // Computed once: the metadata only changes with the configuration.
    this.metadata = {
      issuer: config.issuer,
      authorization_endpoint: endpoint('authorize'),
      token_endpoint: endpoint('token'),
      revocation_endpoint: endpoint('revoke'),
      introspection_endpoint: endpoint('introspect'),
      scopes_supported: [ALL_SCOPE, ...config.scopes],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: [
        'authorization_code',
        'refresh_token',
        'password',
        'client_credentials',
      ],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'none',
      ],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      // Every authorization response carries `iss` (RFC 9207 §3).
      authorization_response_iss_parameter_supported: true,
    };
  }

  /** GET /.well-known/oauth-authorization-server */
  @Get('oauth-authorization-server')
  @ApiTags('oauth2')
  @ApiOperation({ summary: 'RFC 8414 authorization server metadata' })
  @ApiOkResponse({
    description: 'issuer, endpoints, grant types, PKCE methods, auth methods, scopes',
  })
  get(): AuthorizationServerMetadata {
    return this.metadata;
  }

  /**
   * GET /.well-known/oauth-authorization-server/<issuer path> (RFC 8414 §3.1), so that
   * clients that build the location from an issuer with a path find it. Any other path here
   * is an unknown route.
   */
  @Get('oauth-authorization-server/*')
  @ApiTags('oauth2')
  @ApiOperation({
    summary: 'RFC 8414 metadata at the location for an ISSUER with a path (RFC 8414 §3.1)',
  })
  @ApiParam({ name: 'path', type: String, description: 'the path of ISSUER, e.g. `tokenvakt`' })
  @ApiOkResponse({ description: 'The same metadata, when the path is the path of ISSUER' })
  @ApiErrors([404, 'not_found', 'any other path'])
  getForIssuerPath(@Req() request: FastifyRequest): AuthorizationServerMetadata {
    const path = request.url.split('?', 1)[0];
    if (this.pathSuffixedLocation === undefined || path !== this.pathSuffixedLocation) {
      throw new NotFoundException();
    }
    return this.metadata;
  }
}
