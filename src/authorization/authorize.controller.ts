import { ApiFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiUserAuth, USER_AUTH_ERRORS } from '../common/openapi';
import { Controller, Get, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser, UserAuth } from '../auth/user-auth.guard';
import { NO_STORE_HEADERS, oauth2Routes } from '../common/oauth2-routes';
import { AuthorizationService } from './authorization.service';
import { AuthorizeQueryDto } from './authorize-query.dto';

@Controller(oauth2Routes())
export class AuthorizeController {
  constructor(private readonly authorization: AuthorizationService) {}

  /**
   * GET /oauth2/authorize: 302 to the client's redirect URI with a code or an error. The POST
   * form on /api/v1.0 is Kustvakt's and lives in src/kustvakt/ (AuthorizePostController).
   */
  @Get('authorize')
  @UserAuth()
  @ApiTags('oauth2')
  @ApiOperation({
    summary: 'Authorization endpoint, called by a super client for its logged-in user (PKCE S256)',
    description:
      'After the redirect URI is trusted, errors are redirected with error, error_description and state: ' +
      'invalid_scope, unsupported_response_type, invalid_request (PKCE missing where PKCE_REQUIRED requires it, plain PKCE). ' +
      'The client and redirect URI errors (400 invalid_request, 401 invalid_client below) are answered directly, ' +
      "never redirected (RFC 6749 §4.1.2.1), and carry the request's state beside error and error_description, as in Kustvakt. " +
      "Kustvakt's POST form (a form body) is served on /api/v1.0/oauth2/authorize only, with the same rules and a 303.",
  })
  @ApiUserAuth()
  @ApiFoundResponse({
    description: 'Redirect to redirect_uri with code and state, or with an error',
  })
  @ApiErrors(
    ...USER_AUTH_ERRORS,
    [
      400,
      'invalid_request',
      'client_id missing; no registered redirect URI, or redirect_uri not equal to it in canonical form ' +
        "(nor, for the user's own client, under the super client's registered redirect URI)",
    ],
    [401, 'invalid_client', 'unknown client'],
  )
  async authorize(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: AuthorizeQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const location = await this.authorization.authorize(user, query);
    void reply.headers(NO_STORE_HEADERS).redirect(location, 302);
  }
}
