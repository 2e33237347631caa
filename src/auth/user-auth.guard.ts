import {
  applyDecorators,
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  type Type,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest as Request } from 'fastify';
import { callerOf } from '../throttling/caller';
import type { AuthenticatedUser } from './authenticated-user';
import { BearerUseInterceptor } from './bearer-use.interceptor';
import { UserAuthService } from './user-auth.service';

type RequestWithUser = Request & { user?: AuthenticatedUser };

/**
 * Authenticates the user before anything else is looked at: guards run before the
 * validation pipe, which gives the token list's documented order of checks (user authentication first).
 */
@Injectable()
export class UserAuthGuard implements CanActivate {
  constructor(private readonly userAuth: UserAuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithUser>();
    request.user = await this.userAuth.authenticate(
      request.headers.authorization,
      callerOf(request, http.getResponse<FastifyReply>()),
    );
    return true;
  }
}

/** The user UserAuthGuard established for this request. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const user = context.switchToHttp().getRequest<RequestWithUser>().user;
  if (!user) throw new Error('CurrentUser used on a route without UserAuthGuard');
  return user;
});

/**
 * A route that acts for a user: `checkedFirst` guards (the body's content type), then
 * UserAuthGuard, and BearerUseInterceptor to record the session's use once the request has
 * succeeded. Only these routes pay for an interceptor.
 */
export const UserAuth = (
  ...checkedFirst: Array<Type<CanActivate>>
): MethodDecorator & ClassDecorator =>
  applyDecorators(UseGuards(...checkedFirst, UserAuthGuard), UseInterceptors(BearerUseInterceptor));
