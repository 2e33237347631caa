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

/**
 * UserAuthGuard for a route that also serves nobody in particular: a request without an
 * `Authorization` header is anonymous. One with a header is authenticated exactly as by
 * UserAuthGuard, so a wrong or expired credential is still 401, never taken as anonymous.
 */
@Injectable()
export class OptionalUserAuthGuard implements CanActivate {
  constructor(private readonly authenticated: UserAuthGuard) {}

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    const request = context.switchToHttp().getRequest<RequestWithUser>();
    return request.headers.authorization === undefined || this.authenticated.canActivate(context);
  }
}

/** The user UserAuthGuard established for this request. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const user = context.switchToHttp().getRequest<RequestWithUser>().user;
  if (!user) throw new Error('CurrentUser used on a route without UserAuthGuard');
  return user;
});

/** The user OptionalUserAuthGuard established for this request; undefined when anonymous. */
export const CurrentUserIfAny = createParamDecorator(
  (_: unknown, context: ExecutionContext) =>
    context.switchToHttp().getRequest<RequestWithUser>().user,
);

/**
 * A route that acts for a user: `checkedFirst` guards (the body's content type), then
 * UserAuthGuard, and BearerUseInterceptor to record the session's use once the request has
 * succeeded. Only these routes pay for an interceptor.
 */
export const UserAuth = (
  ...checkedFirst: Array<Type<CanActivate>>
): MethodDecorator & ClassDecorator =>
  applyDecorators(UseGuards(...checkedFirst, UserAuthGuard), UseInterceptors(BearerUseInterceptor));

/** UserAuth with OptionalUserAuthGuard: for the user when one is authenticated, else anonymous. */
export const OptionalUserAuth = (
  ...checkedFirst: Array<Type<CanActivate>>
): MethodDecorator & ClassDecorator =>
  applyDecorators(
    UseGuards(...checkedFirst, OptionalUserAuthGuard),
    UseInterceptors(BearerUseInterceptor),
  );
