import { ApiBasicAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiErrors,
  ApiUserAuth,
  ApiForm,
  SUPER_CLIENT_ERRORS,
  USER_AUTH_ERRORS,
} from '../common/openapi';
import { Body, Controller, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { ClientAuthService } from '../auth/client-auth.service';
import { CurrentUser, UserAuth } from '../auth/user-auth.guard';
import { ClientsService } from '../clients/clients.service';
import { FormBodyGuard } from '../common/content-type.guard';
import { OAuthError } from '../common/oauth-error';
import { oauth2Routes } from '../common/oauth2-routes';
import { RevokeRequestDto, SuperRevokeRequestDto } from './revocation.dto';
import { TokenService } from './token.service';
import { type Caller, RequestCaller } from '../throttling/caller';

@Controller(oauth2Routes('revoke'))
@UseGuards(FormBodyGuard)
export class RevocationController {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly clients: ClientsService,
    private readonly tokens: TokenService,
  ) {}

  /**
   * RFC 7009: a client revokes one of its own tokens. Unknown tokens and tokens of other
   * clients answer 200 too and change nothing (§2.2: the answer must not reveal validity).
   */
  @Post()
  @HttpCode(200)
  @ApiTags('oauth2')
  @ApiOperation({ summary: "RFC 7009 revocation of one of the calling client's tokens" })
  @ApiBasicAuth('basic')
  @ApiForm()
  @ApiOkResponse({ description: 'Empty body, also for unknown tokens and tokens of other clients' })
  @ApiErrors(
    [400, 'invalid_request', 'token missing'],
    [401, 'invalid_client', 'client authentication failed'],
    [415, 'unsupported_media_type', 'not form-encoded'],
  )
  async revoke(
    @RequestCaller() caller: Caller,
    @Headers('authorization') authorization: string | undefined,
    @Body() form: RevokeRequestDto,
  ): Promise<void> {
    const client = await this.clientAuth.authenticateAtEndpoint({
      caller,
      authorization,
      clientId: form.client_id,
      clientSecret: form.client_secret,
    });
    if (!form.token) throw OAuthError.invalidRequest('token is required.');
    const token = await this.tokens.findByRawValue(form.token);
    if (token && token.clientId === client.id) await this.tokens.revoke(token, 'client');
  }

  /** Revokes one of the user's tokens, by raw value or by handle. */
  @Post('super')
  @UserAuth()
  @HttpCode(200)
  @ApiTags('super-client services')
  @ApiOperation({
    summary: "Revoke one of the user's tokens, by raw value or handle",
  })
  @ApiUserAuth()
  @ApiForm()
  @ApiOkResponse({ description: "Empty body; another user's or an unknown token changes nothing" })
  @ApiErrors(...USER_AUTH_ERRORS, ...SUPER_CLIENT_ERRORS, [400, 'invalid_request', 'token missing'])
  async revokeForUser(
    @RequestCaller() caller: Caller,
    @CurrentUser() user: AuthenticatedUser,
    @Body() form: SuperRevokeRequestDto,
  ): Promise<void> {
    await this.clientAuth.authenticateSuperClient(
      caller,
      form.super_client_id,
      form.super_client_secret,
    );
    if (!form.token) throw OAuthError.invalidRequest('token is required.');
    await this.tokens.revokeOwnToken(user.userId, form.token);
  }

  /** Revokes every token of the user issued to one client. */
  @Post('super/all')
  @UserAuth()
  @HttpCode(200)
  @ApiTags('super-client services')
  @ApiOperation({ summary: "Revoke all the user's tokens of one client" })
  @ApiUserAuth()
  @ApiForm()
  @ApiOkResponse({ description: 'Empty body' })
  @ApiErrors(...USER_AUTH_ERRORS, ...SUPER_CLIENT_ERRORS, [
    400,
    'invalid_request',
    'client_id missing or names no client',
  ])
  async revokeAllForClient(
    @RequestCaller() caller: Caller,
    @CurrentUser() user: AuthenticatedUser,
    @Body() form: SuperRevokeRequestDto,
  ): Promise<void> {
    await this.clientAuth.authenticateSuperClient(
      caller,
      form.super_client_id,
      form.super_client_secret,
    );
    if (!form.client_id) throw OAuthError.invalidRequest('client_id is required.');
    await this.clients.requireExisting(form.client_id);
    await this.tokens.revokeForUserAndClient(user.userId, form.client_id);
  }
}
