import { Injectable } from '@nestjs/common';
import type { Client } from '../clients/client.entity';
import { ClientRepository } from '../clients/client.repository';
import { OAuthError } from '../common/oauth-error';
import { decodeBasicCredentials, parseAuthorizationHeader } from './basic-credentials';
import { constantTimeEquals, digestSecret, UNMATCHABLE_DIGEST } from './secrets';

/** The same words for an unknown client and a wrong secret: no client enumeration. */
const CLIENT_AUTH_FAILED = 'Client authentication failed.';

/** Client credentials as an OAuth endpoint received them. */
export interface PresentedClientCredentials {
  authorization?: string;
  clientId?: string;
  clientSecret?: string;
}

@Injectable()
export class ClientAuthService {
  constructor(private readonly clients: ClientRepository) {}

  /**
   * Super-client authentication by form fields (SPEC §2): missing → 400, unknown or wrong
   * secret → 401 with one description for both, a real client that is not super → 403.
   */
  async authenticateSuperClient(clientId?: string, clientSecret?: string): Promise<Client> {
    if (!clientId || !clientSecret) {
      throw OAuthError.invalidRequest('super_client_id and super_client_secret are required.');
    }
    const client = await this.verify(clientId, clientSecret);
    if (!client) throw OAuthError.invalidClient(CLIENT_AUTH_FAILED).countsAsFailureOf(clientId);
    if (!client.isSuper) {
      throw new OAuthError(403, 'unauthorized_client', 'The client is not a super client.');
    }
    return client;
  }

  /**
   * Admin API authentication (SPEC §6): HTTP Basic with an admin client's credentials. Bad or
   * missing credentials → 401 with a Basic challenge; a real client without the flag → 403.
   */
  async authenticateAdminClient(authorization: string | undefined): Promise<Client> {
    const header = parseAuthorizationHeader(authorization);
    const decoded =
      header?.scheme === 'basic' ? decodeBasicCredentials(header.credentials) : undefined;
    if (!decoded) throw OAuthError.invalidClient(CLIENT_AUTH_FAILED, true);
    const client = await this.verify(decoded.user, decoded.password);
    if (!client)
      throw OAuthError.invalidClient(CLIENT_AUTH_FAILED, true).countsAsFailureOf(decoded.user);
    if (!client.isAdmin) {
      throw new OAuthError(403, 'unauthorized_client', 'The client is not an admin client.');
    }
    return client;
  }

  /**
   * Client authentication at /oauth2/token, /oauth2/revoke and /oauth2/introspect:
   * client_secret_basic, client_secret_post, or `client_id` alone for a public client
   * (RFC 6749 §2.3.1, §3.2.1). Using two methods at once is refused (RFC 6749 §2.3).
   */
  async authenticateAtEndpoint(presented: PresentedClientCredentials): Promise<Client> {
    const header = parseAuthorizationHeader(presented.authorization);
    if (header?.scheme === 'basic') {
      if (presented.clientSecret !== undefined) {
        throw OAuthError.invalidRequest('Use one client authentication method, not two.');
      }
      const decoded = decodeBasicCredentials(header.credentials);
      const clientId = decoded && safeDecodeURIComponent(decoded.user);
      const secret = decoded && safeDecodeURIComponent(decoded.password);
      if (
        !clientId ||
        secret === undefined ||
        (presented.clientId !== undefined && presented.clientId !== clientId)
      ) {
        throw OAuthError.invalidClient(CLIENT_AUTH_FAILED, true);
      }
      const client = await this.verify(clientId, secret);
      if (!client)
        throw OAuthError.invalidClient(CLIENT_AUTH_FAILED, true).countsAsFailureOf(clientId);
      return client;
    }
    if (!presented.clientId) {
      throw OAuthError.invalidClient('Client authentication is required.');
    }
    if (presented.clientSecret === undefined) {
      const client = await this.clients.findById(presented.clientId);
      if (!client || client.type !== 'PUBLIC') throw OAuthError.invalidClient(CLIENT_AUTH_FAILED);
      return client;
    }
    const client = await this.verify(presented.clientId, presented.clientSecret);
    if (!client)
      throw OAuthError.invalidClient(CLIENT_AUTH_FAILED).countsAsFailureOf(presented.clientId);
    return client;
  }

  /** The confidential client with this id and secret, or null. Constant time in the secret. */
  private async verify(clientId: string, secret: string): Promise<Client | null> {
    const client = await this.clients.findById(clientId);
    // Compare even when the client is unknown or public, so timing tells nothing.
    const matches = constantTimeEquals(
      digestSecret(secret),
      client?.secretDigest ?? UNMATCHABLE_DIGEST,
    );
    return client && client.secretDigest !== null && matches ? client : null;
  }
}

function safeDecodeURIComponent(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
