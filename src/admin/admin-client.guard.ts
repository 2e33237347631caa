import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest as Request } from 'fastify';
import { ClientAuthService } from '../auth/client-auth.service';

/** Admin API routes: HTTP Basic with an admin client's credentials (SPEC §6). */
@Injectable()
export class AdminClientGuard implements CanActivate {
  constructor(private readonly clientAuth: ClientAuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    await this.clientAuth.authenticateAdminClient(request.headers.authorization);
    return true;
  }
}
