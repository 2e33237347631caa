import { ApiBasicAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiForm } from '../common/openapi';
import { Body, Controller, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import { FormBodyGuard } from '../common/content-type.guard';
import { NoStore, oauth2Routes } from '../common/oauth2-routes';
import { TokenGrantService } from './token-grant.service';
import { TokenRequestDto, TokenResponseDto } from './token-request.dto';
import type { IssuedTokens } from './token.service';
import { type Caller, RequestCaller } from '../throttling/caller';

/**
 * POST /oauth2/token (RFC 6749 §3.2). Errors are 4xx, never an error inside a 200; the order
 * in which they are checked is TokenGrantService.token's.
 */
@Controller(oauth2Routes())
@UseGuards(FormBodyGuard)
export class TokenController {
  constructor(private readonly grants: TokenGrantService) {}

  @Post('token')
  @HttpCode(200)
  @NoStore()
  @ApiTags('oauth2')
  @ApiOperation({
    summary: 'Token endpoint: authorization_code, refresh_token, password, client_credentials',
  })
  @ApiBasicAuth('basic')
  @ApiForm()
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiErrors(
    [
      400,
      'invalid_request',
      'grant_type or a parameter the grant requires is missing (checked before the client), or two client authentication methods were used',
    ],
    [
      400,
      'invalid_grant',
      'code or refresh token unknown, expired, used, of another client; PKCE or redirect_uri mismatch; wrong password. A refused code redemption spends the code',
    ],
    [
      400,
      'unauthorized_client',
      'password grant by a non-super client; client_credentials by a public client',
    ],
    [400, 'unsupported_grant_type', 'unknown grant_type (checked before the client)'],
    [
      400,
      'invalid_scope',
      'scope unknown, missing, or beyond the original grant; client_credentials: none of the requested scopes is allowed',
    ],
    [401, 'invalid_client', 'client authentication failed'],
    [415, 'unsupported_media_type', 'not form-encoded'],
    [429, 'too_many_requests', 'too many failed credential checks from this source'],
  )
  token(
    @RequestCaller() caller: Caller,
    @Headers('authorization') authorization: string | undefined,
    @Body() form: TokenRequestDto,
  ): Promise<IssuedTokens> {
    return this.grants.token(
      { caller, authorization, clientId: form.client_id, clientSecret: form.client_secret },
      form,
    );
  }
}
