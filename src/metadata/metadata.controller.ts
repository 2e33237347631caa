import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Inject } from '@nestjs/common';
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
}

@Controller('.well-known')
export class MetadataController {
  private readonly metadata: AuthorizationServerMetadata;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const endpoint = (path: string): string => `${config.issuer}/oauth2/${path}`;
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
}
