import { ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiErrors,
  ApiUserAuth,
  ApiForm,
  OPTIONAL_USER_AUTH_ERRORS,
  SUPER_CLIENT_ERRORS,
  USER_AUTH_ERRORS,
} from '../common/openapi';
import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { ClientAuthService } from '../auth/client-auth.service';
import { CurrentUser, CurrentUserIfAny, OptionalUserAuth, UserAuth } from '../auth/user-auth.guard';
import { FormBodyGuard, JsonBodyGuard } from '../common/content-type.guard';
import { OAuthError } from '../common/oauth-error';
import { NoStore, oauth2Routes } from '../common/oauth2-routes';
import { ClientRegistrationDto } from './client-registration.dto';
import {
  ClientInfoDto,
  ClientListRequestDto,
  ClientResetRequestDto,
  RegisteredClientDto,
  SuperClientFormDto,
} from './client-services.dto';
import {
  CLIENT_LIST_FILTERS,
  ClientsService,
  type ClientInfo,
  type RegisteredClient,
} from './clients.service';
import { type Caller, RequestCaller } from '../throttling/caller';
import {
  RouteApiVersion,
  type KustvaktApiVersion,
  legacyClientListSelection,
} from '../kustvakt/legacy-client-list';

/**
 * Client services (README: API at a glance). The `:client_id` route is declared last so that it cannot
 * shadow `register`, `list` and `reset`.
 */
@Controller(oauth2Routes('client'))
@ApiTags('clients')
@ApiUserAuth()
export class ClientsController {
  constructor(
    private readonly clients: ClientsService,
    private readonly clientAuth: ClientAuthService,
  ) {}

  /** A user registers a third-party client through a super client. */
  @Post('register')
  @UserAuth(JsonBodyGuard)
  @HttpCode(200)
  @NoStore()
  @ApiOperation({ summary: 'Register a third-party client (JSON body)' })
  @ApiConsumes('application/json')
  @ApiOkResponse({ type: RegisteredClientDto })
  @ApiErrors(...USER_AUTH_ERRORS, [400, 'invalid_request', 'a field breaks the registration rules'])
  async register(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ClientRegistrationDto,
  ): Promise<RegisteredClient> {
    return this.clients.register(
      {
        name: body.name,
        type: body.type,
        description: body.description,
        // JSON null for an optional field means the same as leaving it out.
        url: body.url ?? undefined,
        redirectUri: body.redirect_uri ?? undefined,
        refreshTokenExpiry: body.refresh_token_expiry ?? undefined,
        source: body.source ?? undefined,
      },
      user,
    );
  }

  /** The clients the user registered, or those holding a live token of the user. */
  @Post('list')
  @UserAuth(FormBodyGuard)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Clients the user registered (owned_only) or authorized (authorized_only)',
    description:
      'On /api/v1.0/ and /api/v1.1/ filter_by is optional, as in Kustvakt: without it v1.0 ' +
      'lists the owned clients (the authorized ones with authorized_only=true), v1.1 the ' +
      'authorized clients followed by the owned ones',
  })
  @ApiForm()
  @ApiOkResponse({ type: [ClientInfoDto] })
  @ApiErrors(...USER_AUTH_ERRORS, ...SUPER_CLIENT_ERRORS, [
    400,
    'invalid_request',
    'filter_by missing (on /oauth2/ only) or unknown',
  ])
  async list(
    @RequestCaller() caller: Caller,
    @CurrentUser() user: AuthenticatedUser,
    @RouteApiVersion() version: KustvaktApiVersion | undefined,
    @Body() form: ClientListRequestDto,
  ): Promise<ClientInfo[]> {
    await this.clientAuth.authenticateSuperClient(
      caller,
      form.super_client_id,
      form.super_client_secret,
    );
    const selection =
      legacyClientListSelection(version, form) ??
      CLIENT_LIST_FILTERS.find((f) => f === form.filter_by);
    if (!selection)
      throw OAuthError.invalidRequest('filter_by must be owned_only or authorized_only.');
    return this.clients.listForUser(user.userId, selection);
  }

  /** A new secret for the registrant's confidential client, shown once. */
  @Post('reset')
  @UserAuth(FormBodyGuard)
  @HttpCode(200)
  @NoStore()
  @ApiOperation({ summary: "A new secret for the registrant's confidential client" })
  @ApiForm()
  @ApiOkResponse({ type: RegisteredClientDto })
  @ApiErrors(
    ...USER_AUTH_ERRORS,
    [400, 'invalid_request', 'client_id missing, or a public client'],
    [403, 'access_denied', 'not the registrant'],
    [404, 'not_found', 'unknown client'],
  )
  async reset(
    @CurrentUser() user: AuthenticatedUser,
    @Body() form: ClientResetRequestDto,
  ): Promise<RegisteredClient> {
    if (!form.client_id) throw OAuthError.invalidRequest('client_id is required.');
    return this.clients.resetSecret(form.client_id, user.userId);
  }

  /** The registrant deletes the client; its tokens are revoked and its codes deleted. */
  @Delete('deregister/:client_id')
  @UserAuth()
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete a client; its tokens are revoked and its codes deleted' })
  @ApiOkResponse({ description: 'Empty body' })
  @ApiErrors(
    ...USER_AUTH_ERRORS,
    [403, 'access_denied', 'not the registrant'],
    [404, 'not_found', 'unknown client'],
    [
      405,
      'invalid_request',
      'no client_id (client/deregister is a POST path, Allow: POST), or another method on ' +
        'deregister/{client_id} (Allow: DELETE)',
    ],
  )
  async deregister(
    @CurrentUser() user: AuthenticatedUser,
    @Param('client_id') clientId: string,
  ): Promise<void> {
    await this.clients.deregister(clientId, user.userId);
  }

  /**
   * One client's info, for a user or for nobody: Kalamar shows a logged-out user the consent
   * page (with the client's name and redirect URI) before the login form. Only the registrant
   * also sees the registration date and refresh expiry.
   */
  @Post(':client_id')
  @OptionalUserAuth(FormBodyGuard)
  @HttpCode(200)
  @ApiOperation({
    summary: "One client's info",
    description:
      'User authentication is optional: without an Authorization header the answer has the ' +
      'public fields; only the registrant also gets registration_date and refresh_token_expiry',
  })
  @ApiForm()
  @ApiOkResponse({ type: ClientInfoDto })
  @ApiErrors(...OPTIONAL_USER_AUTH_ERRORS, ...SUPER_CLIENT_ERRORS, [
    404,
    'not_found',
    'unknown client',
  ])
  async info(
    @RequestCaller() caller: Caller,
    @CurrentUserIfAny() user: AuthenticatedUser | undefined,
    @Param('client_id') clientId: string,
    @Body() form: SuperClientFormDto,
  ): Promise<ClientInfo> {
    await this.clientAuth.authenticateSuperClient(
      caller,
      form.super_client_id,
      form.super_client_secret,
    );
    return this.clients.info(clientId, user?.userId);
  }
}
