import { Body, Controller, Delete, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { ClientAuthService } from '../auth/client-auth.service';
import { CurrentUser, UserAuthGuard } from '../auth/user-auth.guard';
import { FormBodyGuard, JsonBodyGuard } from '../common/content-type.guard';
import { OAuthError } from '../common/oauth-error';
import { NO_STORE_HEADERS, oauth2Routes } from '../common/oauth2-routes';
import { ClientRegistrationDto } from './client-registration.dto';
import {
  ClientListRequestDto,
  ClientResetRequestDto,
  SuperClientFormDto,
} from './client-services.dto';
import {
  CLIENT_LIST_FILTERS,
  ClientsService,
  type ClientInfo,
  type RegisteredClient,
} from './clients.service';

/**
 * Client services (SPEC §4, §6). The `:client_id` route is declared last so that it cannot
 * shadow `register`, `list` and `reset`.
 */
@Controller(oauth2Routes('client'))
export class ClientsController {
  constructor(
    private readonly clients: ClientsService,
    private readonly clientAuth: ClientAuthService,
  ) {}

  /** A user registers a third-party client through a super client. */
  @Post('register')
  @UseGuards(JsonBodyGuard, UserAuthGuard)
  @HttpCode(200)
  async register(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ClientRegistrationDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RegisteredClient> {
    const registered = await this.clients.register(
      {
        name: body.name,
        type: body.type,
        description: body.description,
        // JSON null for an optional field means the same as leaving it out.
        url: body.url ?? undefined,
        redirectUri: body.redirect_uri ?? undefined,
        refreshTokenExpiry: body.refresh_token_expiry ?? undefined,
      },
      user.username,
    );
    res.set(NO_STORE_HEADERS);
    return registered;
  }

  /** The clients the user registered, or those holding a live token of the user. */
  @Post('list')
  @UseGuards(FormBodyGuard, UserAuthGuard)
  @HttpCode(200)
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Body() form: ClientListRequestDto,
  ): Promise<ClientInfo[]> {
    await this.clientAuth.authenticateSuperClient(form.super_client_id, form.super_client_secret);
    const filter = CLIENT_LIST_FILTERS.find((f) => f === form.filter_by);
    if (!filter)
      throw OAuthError.invalidRequest('filter_by must be owned_only or authorized_only.');
    return this.clients.listForUser(user.username, filter);
  }

  /** A new secret for the registrant's confidential client, shown once. */
  @Post('reset')
  @UseGuards(FormBodyGuard, UserAuthGuard)
  @HttpCode(200)
  async reset(
    @CurrentUser() user: AuthenticatedUser,
    @Body() form: ClientResetRequestDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RegisteredClient> {
    if (!form.client_id) throw OAuthError.invalidRequest('client_id is required.');
    const reset = await this.clients.resetSecret(form.client_id, user.username);
    res.set(NO_STORE_HEADERS);
    return reset;
  }

  /** The registrant deletes the client; its tokens are revoked and its codes deleted. */
  @Delete('deregister/:client_id')
  @UseGuards(UserAuthGuard)
  @HttpCode(200)
  async deregister(
    @CurrentUser() user: AuthenticatedUser,
    @Param('client_id') clientId: string,
  ): Promise<void> {
    await this.clients.deregister(clientId, user.username);
  }

  /** One client's info; the registrant also sees its redirect URI, date and refresh expiry. */
  @Post(':client_id')
  @UseGuards(FormBodyGuard, UserAuthGuard)
  @HttpCode(200)
  async info(
    @CurrentUser() user: AuthenticatedUser,
    @Param('client_id') clientId: string,
    @Body() form: SuperClientFormDto,
  ): Promise<ClientInfo> {
    await this.clientAuth.authenticateSuperClient(form.super_client_id, form.super_client_secret);
    return this.clients.info(clientId, user.username);
  }
}
