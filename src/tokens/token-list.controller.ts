import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  ApiErrors,
  ApiUserAuth,
  ApiForm,
  SUPER_CLIENT_ERRORS,
  USER_AUTH_ERRORS,
} from '../common/openapi';
import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { ClientAuthService } from '../auth/client-auth.service';
import { CurrentUser, UserAuth } from '../auth/user-auth.guard';
import { ClientsService } from '../clients/clients.service';
import { FormBodyGuard } from '../common/content-type.guard';
import { NoStore, oauth2Routes } from '../common/oauth2-routes';
import { parsePaging, parseTokenType } from './token-list-paging';
import { RevealingTokenListEntryDto, TokenCountDto, TokenListRequestDto } from './token-list.dto';
import { PersonalTokenReveal } from './personal-token-reveal';
import { TokenService, toTokenListEntry, type TokenListEntry } from './token.service';
import { type Caller, RequestCaller } from '../throttling/caller';

/** POST /oauth2/token/list: a super client lists the user's live tokens (README: POST /oauth2/token/list). */
@Controller(oauth2Routes('token'))
@UserAuth(FormBodyGuard)
export class TokenListController {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly clients: ClientsService,
    private readonly tokens: TokenService,
    private readonly personalTokens: PersonalTokenReveal,
  ) {}

  @Post('list')
  @HttpCode(200)
  @NoStore()
  @ApiTags('super-client services')
  @ApiOperation({ summary: "List the user's live tokens" })
  @ApiUserAuth()
  @ApiForm()
  @ApiExtraModels(RevealingTokenListEntryDto, TokenCountDto)
  @ApiOkResponse({
    description: 'Oldest first; `{"count": N}` with counts_only=true',
    headers: {
      'X-Total-Count': { description: 'matches before paging', schema: { type: 'integer' } },
    },
    schema: {
      oneOf: [
        { type: 'array', items: { $ref: getSchemaPath(RevealingTokenListEntryDto) } },
        { $ref: getSchemaPath(TokenCountDto) },
      ],
    },
  })
  @ApiErrors(
    ...USER_AUTH_ERRORS,
    [400, 'invalid_request', 'token_type missing or unknown'],
    ...SUPER_CLIENT_ERRORS,
    [400, 'invalid_request', 'client_id names no client'],
    [400, 'invalid_request', 'start, max_results or counts_only malformed or out of range'],
  )
  async list(
    @RequestCaller() caller: Caller,
    @CurrentUser() user: AuthenticatedUser,
    @Body() form: TokenListRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RevealingTokenListEntry[] | { count: number }> {
    // The token list's order of checks: user (guard), token_type, super client, client_id, paging.
    const type = parseTokenType(form.token_type);
    const superClient = await this.clientAuth.authenticateSuperClient(
      caller,
      form.super_client_id,
      form.super_client_secret,
    );
    if (form.client_id !== undefined) await this.clients.requireExisting(form.client_id);
    const paging = parsePaging(form);
    const now = new Date();
    const { total, tokens } = await this.tokens.listActive({
      userId: user.userId,
      type,
      now,
      clientId: form.client_id,
      excludeClientId: superClient.id,
      start: paging.countsOnly ? 0 : paging.start,
      maxResults: paging.countsOnly ? 0 : paging.maxResults,
    });
    void reply.header('X-Total-Count', String(total));
    if (paging.countsOnly) return { count: total };
    const revealed = await this.personalTokens.takeForPage(
      { superClientId: superClient.id, userId: user.userId },
      tokens,
      now,
    );
    return tokens.map((token) => {
      const raw = revealed.get(token.handle);
      return raw === undefined
        ? { ...toTokenListEntry(token, now), token_revealed: false }
        : { ...toTokenListEntry(token, now), token: raw, token_revealed: true };
    });
  }
}

/** A token list entry says whether `token` is the handle or, revealed once, the token itself. */
type RevealingTokenListEntry = TokenListEntry & { token_revealed: boolean };
