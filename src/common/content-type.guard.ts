import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest as Request } from 'fastify';
import { OAuthError } from './oauth-error';

function requireContentType(context: ExecutionContext, expected: string): true {
  const request = context.switchToHttp().getRequest<Request>();
  const mediaType = request.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType !== expected) {
    throw new OAuthError(415, 'unsupported_media_type', `The request body must be ${expected}.`);
  }
  return true;
}

/** OAuth endpoints and super-client services take form-encoded bodies (README: API at a glance). */
@Injectable()
export class FormBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return requireContentType(context, 'application/x-www-form-urlencoded');
  }
}

/** Client registration takes JSON, as in Kustvakt. */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return requireContentType(context, 'application/json');
  }
}
