import { Body, Controller, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser, UserAuth } from '../auth/user-auth.guard';
import { AuthorizationService } from '../authorization/authorization.service';
import { AuthorizeQueryDto } from '../authorization/authorize-query.dto';
import { FormBodyGuard } from '../common/content-type.guard';
import { OAuthError } from '../common/oauth-error';
import { NO_STORE_HEADERS } from '../common/oauth2-routes';
import { BodyNamesNoCredential } from '../throttling/throttle.guard';

/**
 * Kustvakt's deprecated POST form of the authorization request, which Kalamar up to 0.64 sends
 * (`auth.new_token_p`: a form body, on API v1.0). Served, as by Kustvakt, on `/api/v1.0/` only:
 * Kustvakt answers it with 404 on v1.1 (APIDeprecationFilter), and tokenvakt's own
 * `/oauth2/authorize` stays GET only (RFC 6749 §3.1: GET MUST be supported, POST MAY).
 *
 * The rules are GET's, through the same AuthorizationService, DTO, user authentication and
 * throttling (the body's `client_id` names a client without authenticating it, as the query's
 * does on GET). Two things differ, both for POST's sake:
 * - the parameters come from the body only; one of them also in the query is refused, so that
 *   a request never means two things (e.g. a redirect_uri a proxy logs that is not the one used);
 * - the redirect is 303 See Other, which tells the user agent to GET the Location and not to
 *   send the form again (RFC 9110 §15.4.4, RFC 9700 §4.12); Kalamar reads the Location of
 *   any answer.
 */
@Controller('api/v1.0/oauth2')
export class AuthorizePostController {
  constructor(private readonly authorization: AuthorizationService) {}

  @Post('authorize')
  @UserAuth(FormBodyGuard)
  @BodyNamesNoCredential()
  async authorize(
    @CurrentUser() user: AuthenticatedUser,
    @Body() form: AuthorizeQueryDto,
    @Query() query: AuthorizeQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (Object.keys(query).length > 0) {
      throw OAuthError.invalidRequest(
        `With POST, the authorization parameters go in the form body only; the query has ${Object.keys(query).join(', ')}.`,
      ).withState(form.state);
    }
    const location = await this.authorization.authorize(user, form);
    void reply.headers(NO_STORE_HEADERS).redirect(location, 303);
  }
}
