import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser, UserAuthGuard } from '../auth/user-auth.guard';
import { JsonBodyGuard } from '../common/content-type.guard';
import { NO_STORE_HEADERS, oauth2Routes } from '../common/oauth2-routes';
import { ClientRegistrationDto } from './client-registration.dto';
import { ClientsService, type RegisteredClient } from './clients.service';

@Controller(oauth2Routes('client'))
export class ClientRegistrationController {
  constructor(private readonly clients: ClientsService) {}

  /** A user registers a third-party client through a super client (SPEC §6). */
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
}
