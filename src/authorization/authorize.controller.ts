import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser, UserAuthGuard } from '../auth/user-auth.guard';
import { NO_STORE_HEADERS, oauth2Routes } from '../common/oauth2-routes';
import { AuthorizationService } from './authorization.service';
import { AuthorizeQueryDto } from './authorize-query.dto';

@Controller(oauth2Routes())
export class AuthorizeController {
  constructor(private readonly authorization: AuthorizationService) {}

  /** GET /oauth2/authorize: 302 to the client's redirect URI with a code or an error. */
  @Get('authorize')
  @UseGuards(UserAuthGuard)
  async authorize(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: AuthorizeQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const location = await this.authorization.authorize(user, query);
    res.set(NO_STORE_HEADERS).redirect(302, location);
  }
}
