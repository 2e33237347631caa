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

  /**
   * POST /oauth2/introspect (RFC 7662), for resource servers: confidential clients an operator
   * flagged (`clients grant <id> --introspect`). RFC 7662 §2.1 asks for authorization beyond
   * client authentication, against token scanning: without it any registered client could read
   * a user's super-client session, and its probe would count as a use of the token.
   */
  @Post('introspect')
  @HttpCode(200)
  @NoStore()
  @ApiTags('oauth2')
  @ApiOperation({
    summary: 'RFC 7662 introspection, for resource servers (clients with the introspect flag)',
  })
  @ApiBasicAuth('basic')
  @ApiForm()
  @ApiOkResponse({ type: IntrospectionResponseDto })
  @ApiErrors(
    [400, 'invalid_request', 'token missing'],
    [401, 'invalid_client', 'client authentication failed, or a public client'],
    [403, 'unauthorized_client', 'the client has no introspect flag (not a resource server)'],
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
    // Before the token is looked at: an unflagged client learns nothing and changes nothing.
    if (!client.mayIntrospect) {
      throw new OAuthError(
        403,
        'unauthorized_client',
        'The client may not introspect tokens; an operator grants it with clients grant --introspect.',
      );
    }
    if (!form.token) throw OAuthError.invalidRequest('token is required.');
    return this.tokens.introspect(form.token);
  }
}
