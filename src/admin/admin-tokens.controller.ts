import {
  ApiBasicAuth,
  ApiNoContentResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi';
import { TokenListEntryDto } from '../tokens/token-list.dto';
import {
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { ClientsService } from '../clients/clients.service';
import { parsePaging, parseTokenType } from '../tokens/token-list-paging';
import { TokenService, toTokenListEntry, type TokenListEntry } from '../tokens/token.service';
import { UsersService } from '../users/users.service';
import { AdminClientGuard } from './admin-client.guard';
import { AdminTokenQueryDto } from './admin-token-query.dto';

/**
 * The admin API (README: API at a glance): an operator's dashboard lists and revokes a user's tokens without
 * the user's session, as Onegini's token API does. Unlike the super-client list it shows every
 * client's tokens, super clients' sessions included, and both types when token_type is absent.
 *
 * `{username}` names the user who has that name now: the tokens of a removed user of the same
 * name are not theirs. An unknown username is a user without tokens.
 */
@Controller('admin/users/:username/tokens')
@UseGuards(AdminClientGuard)
@ApiTags('admin')
@ApiBasicAuth('basic')
@ApiErrors(
  [401, 'invalid_client', 'admin client credentials missing or wrong (WWW-Authenticate: Basic)'],
  [403, 'unauthorized_client', 'the client is not an admin client'],
)
export class AdminTokensController {
  constructor(
    private readonly tokens: TokenService,
    private readonly clients: ClientsService,
    private readonly users: UsersService,
  ) {}

  @Get()
  @ApiOperation({ summary: "The user's live tokens of every client, with ETag" })
  @ApiOkResponse({
    type: [TokenListEntryDto],
    description: 'X-Total-Count and ETag headers; {"count": N} with counts_only=true',
  })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched the ETag' })
  @ApiErrors([400, 'invalid_request', 'bad token_type, unknown client_id, or bad paging'])
  async list(
    @Param('username') username: string,
    @Query() query: AdminTokenQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const type = query.token_type === undefined ? undefined : parseTokenType(query.token_type);
    if (query.client_id !== undefined) await this.clients.requireExisting(query.client_id);
    const paging = parsePaging(query);
    const now = new Date();
    const userId = await this.users.findId(username);
    const { total, tokens } =
      userId === null
        ? { total: 0, tokens: [] }
        : await this.tokens.listActive({
            userId,
            type,
            now,
            clientId: query.client_id,
            start: paging.countsOnly ? 0 : paging.start,
            maxResults: paging.countsOnly ? 0 : paging.maxResults,
          });
    // The ETag names the set of live tokens on this page, not the representation: it changes
    // when a token is issued, revoked or expires, but not as expires_in counts down.
    const etag = `"${createHash('sha256')
      .update(
        JSON.stringify([
          type ?? null,
          query.client_id ?? null,
          paging,
          total,
          tokens.map((t) => t.handle),
        ]),
      )
      .digest('base64url')}"`;
    void reply.headers({ 'Cache-Control': 'no-cache', ETag: etag, 'X-Total-Count': String(total) });
    if (ifNoneMatch !== undefined && matchesETag(ifNoneMatch, etag)) {
      void reply.code(304).send();
      return;
    }
    const body: TokenListEntry[] | { count: number } = paging.countsOnly
      ? { count: total }
      : tokens.map((t) => toTokenListEntry(t, now));
    void reply.code(200).send(body);
  }

  /** Revokes one of the user's tokens; 204 also when nothing matched (as Onegini). */
  @Delete(':handle')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of the user's tokens by handle" })
  @ApiNoContentResponse({ description: 'Also when nothing matched' })
  async revokeOne(
    @Param('username') username: string,
    @Param('handle') handle: string,
  ): Promise<void> {
    const userId = await this.users.findId(username);
    if (userId !== null) await this.tokens.revokeUserTokenByHandle(userId, handle);
  }

  /** Revokes every token of the user. */
  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke all the user's tokens" })
  @ApiNoContentResponse({ description: 'Also when there were none' })
  async revokeAll(@Param('username') username: string): Promise<void> {
    const userId = await this.users.findId(username);
    if (userId !== null) await this.tokens.revokeForUser(userId);
  }
}

/** If-None-Match (RFC 9110 §13.1.2): `*`, or a list of entity tags compared weakly. */
function matchesETag(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
