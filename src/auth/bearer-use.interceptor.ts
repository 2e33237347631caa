import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { concatMap, type Observable } from 'rxjs';
import { TokenRepository } from '../tokens/token.repository';
import type { AuthenticatedUser } from './authenticated-user';

/**
 * Records that a super client's session token was used (tokens.last_used_at), once the
 * request it authenticated has succeeded: a rejected request changes nothing in the database.
 * An authorize request redirected with an `error` counts as rejected.
 */
@Injectable()
export class BearerUseInterceptor implements NestInterceptor {
  constructor(private readonly tokens: TokenRepository) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    return next.handle().pipe(
      concatMap(async (result: unknown) => {
        const token = http.getRequest<FastifyRequest & { user?: AuthenticatedUser }>().user
          ?.bearerToken;
        if (token && !isErrorRedirect(http.getResponse<FastifyReply>())) {
          await this.tokens.recordUse(token, new Date());
        }
        return result;
      }),
    );
  }
}

function isErrorRedirect(reply: FastifyReply): boolean {
  const location = reply.getHeader('location');
  if (typeof location !== 'string') return false;
  try {
    return new URL(location).searchParams.has('error');
  } catch {
    return false;
  }
}
