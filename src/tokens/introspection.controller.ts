import { ApiBasicAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiForm } from '../common/openapi';
import { IntrospectionResponseDto } from './token-request.dto';
import { Body, Controller, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ClientAuthService } from '../auth/client-auth.service';
import { FormBodyGuard } from '../common/content-type.guard';
import { OAuthError } from '../common/oauth-error';
import { NoStore, oauth2Routes } from '../common/oauth2-routes';
import { RevokeRequestDto } from './revocation.dto';
import { TokenService, type IntrospectionResponse } from './token.service';
import { type Caller, RequestCaller } from '../throttling/caller';

@Controller(oauth2Routes())
@UseGuards(FormBodyGuard)
export class IntrospectionController {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly tokens: TokenService,
  ) {}

  /** POST /oauth2/introspect (RFC 7662), for confidential clients such as resource servers. */
  @Post('introspect')
  @HttpCode(200)
  @NoStore()
  @ApiTags('oauth2')
  @ApiOperation({ summary: 'RFC 7662 introspection, for confidential clients' })
  @ApiBasicAuth('basic')
  @ApiForm()
  @ApiOkResponse({ type: IntrospectionResponseDto })
  @ApiErrors(
    [400, 'invalid_request', 'token missing'],
    [401, 'invalid_client', 'client authentication failed, or a public client'],
    [415, 'unsupported_media_type', 'not form-encoded'],
  )
  async introspect(
    @RequestCaller() caller: Caller,
    @Headers('authorization') authorization: string | undefined,
    @Body() form: RevokeRequestDto,
  ): Promise<IntrospectionResponse> {
    const client = await this.clientAuth.authenticateAtEndpoint({
      caller,
      authorization,
      clientId: form.client_id,
      clientSecret: form.client_secret,
    });
    if (client.type !== 'CONFIDENTIAL') {
      throw OAuthError.invalidClient('Only confidential clients may introspect tokens.');
    }
    if (!form.token) throw OAuthError.invalidRequest('token is required.');
    return this.tokens.introspect(form.token);
  }
}
