import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest as Request } from 'fastify';
import { decodeBasicCredentials, parseAuthorizationHeader } from '../auth/basic-credentials';
import { requestSource } from './caller';
import { FailureThrottle } from './failure-throttle.service';

/** The form fields that name whom a request authenticates as. */
const IDENTITY_FIELDS = ['client_id', 'super_client_id', 'username'] as const;

/** The identity name recorded for failed bearer tokens (they carry no name of their own). */
export const BEARER_IDENTITY = 'bearer';

const BODY_NAMES_NO_CREDENTIAL = 'tokenvakt:body-names-no-credential';

/**
 * For a route whose form body names a client without authenticating it (Kustvakt's POST
 * authorize, src/kustvakt/): its `client_id` is no credential, so, as for the same request by
 * GET, only the Authorization header names whom the throttle checks.
 */
export const BodyNamesNoCredential = (): MethodDecorator =>
  SetMetadata(BODY_NAMES_NO_CREDENTIAL, true);

/**
 * Runs before every route: refuses a request whose source is blocked for one of the
 * identities it presents (FailureThrottle), before any work is done for it. Password and
 * secret checks reserve their failures themselves (FailureThrottle.attempt); an unknown bearer
 * token is recorded by the exception filter.
 */
@Injectable()
export class ThrottleGuard implements CanActivate {
  constructor(
    private readonly throttle: FailureThrottle,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.throttle.enabled) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const bodyNamesNoCredential =
      this.reflector.get<boolean | undefined>(BODY_NAMES_NO_CREDENTIAL, context.getHandler()) ===
      true;
    await this.throttle.assertNotBlocked(
      requestSource(request),
      presentedIdentities(request, !bodyNamesNoCredential),
    );
    return true;
  }
}

function presentedIdentities(request: Request, readBody: boolean): string[] {
  const identities: string[] = [];
  const header = parseAuthorizationHeader(request.headers.authorization);
  if (header?.scheme === 'bearer') identities.push(BEARER_IDENTITY);
  if (header?.scheme === 'basic') {
    const user = decodeBasicCredentials(header.credentials)?.user;
    if (user !== undefined) identities.push(user, safeDecode(user));
  }
  const body: unknown = readBody ? request.body : undefined;
  if (typeof body === 'object' && body !== null) {
    for (const field of IDENTITY_FIELDS) {
      const value = (body as Record<string, unknown>)[field];
      if (typeof value === 'string' && value !== '') identities.push(value);
    }
  }
  return [...new Set(identities)];
}

/** Client ids in Basic credentials are form-encoded (RFC 6749 §2.3.1). */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
