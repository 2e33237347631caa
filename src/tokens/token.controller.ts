import { Body, Controller, Headers, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ClientAuthService } from '../auth/client-auth.service';
import { FormBodyGuard } from '../common/content-type.guard';
import { NO_STORE_HEADERS, oauth2Routes } from '../common/oauth2-routes';
import { TokenGrantService } from './token-grant.service';
import { TokenRequestDto } from './token-request.dto';
import type { IssuedTokens } from './token.service';

/** POST /oauth2/token (RFC 6749 §3.2). Errors are 4xx, never an error inside a 200. */
@Controller(oauth2Routes())
@UseGuards(FormBodyGuard)
export class TokenController {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly grants: TokenGrantService,
  ) {}

  @Post('token')
  @HttpCode(200)
  async token(
    @Headers('authorization') authorization: string | undefined,
    @Body() form: TokenRequestDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<IssuedTokens> {
    const client = await this.clientAuth.authenticateAtEndpoint({
      authorization,
      clientId: form.client_id,
      clientSecret: form.client_secret,
    });
    const issued = await this.grants.grant(client, form);
    res.set(NO_STORE_HEADERS);
    return issued;
  }
}
