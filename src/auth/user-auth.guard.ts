import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest as Request } from 'fastify';
import type { AuthenticatedUser } from './authenticated-user';
import { UserAuthService } from './user-auth.service';

type RequestWithUser = Request & { user?: AuthenticatedUser };

/**
 * Authenticates the user before anything else is looked at: guards run before the
 * validation pipe, which gives SPEC §3's order of checks (user authentication first).
 */
@Injectable()
export class UserAuthGuard implements CanActivate {
  constructor(private readonly userAuth: UserAuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithUser>();
    request.user = await this.userAuth.authenticate(request.headers.authorization);
    return true;
  }
}

/** The user UserAuthGuard established for this request. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const user = context.switchToHttp().getRequest<RequestWithUser>().user;
  if (!user) throw new Error('CurrentUser used on a route without UserAuthGuard');
  return user;
});
