import { Injectable } from '@nestjs/common';
import type { Client } from '../clients/client.entity';
import { ClientRepository } from '../clients/client.repository';
import { OAuthError } from '../common/oauth-error';
import type { Caller } from '../throttling/caller';
import { FailureThrottle } from '../throttling/failure-throttle.service';
import { decodeBasicCredentials, parseAuthorizationHeader } from './basic-credentials';
import { constantTimeEquals, digestSecret, UNMATCHABLE_DIGEST } from './secrets';

/** The same words for an unknown client and a wrong secret: no client enumeration. */
const CLIENT_AUTH_FAILED = 'Client authentication failed.';

/** Client credentials as an OAuth endpoint received them. */
export interface PresentedClientCredentials {
  caller: Caller;
  authorization?: string;
  clientId?: string;
  clientSecret?: string;
}

@Injectable()
export class ClientAuthService {
  constructor(
    private readonly clients: ClientRepository,
    private readonly throttle: FailureThrottle,
  ) {}

  /**
   * Super-client authentication by form fields (README: API at a glance): missing → 400, unknown or wrong
   * secret → 401 with one description for both, a real client that is not super → 403.
   */
  async authenticateSuperClient(
    caller: Caller,
    clientId?: string,
    clientSecret?: string,
  ): Promise<Client> {
    // Kustvakt's words (OAuth2ClientService.authenticateClient), naming the missing field.
    if (!clientId) throw OAuthError.invalidRequest('Missing parameter: super_client_id');
    if (!clientSecret) throw OAuthError.invalidRequest('Missing parameter: super_client_secret');
    const client = await this.verify(caller, clientId, clientSecret);
    if (!client.isSuper) {
      throw new OAuthError(403, 'unauthorized_client', 'The client is not a super client.');
    }
    return client;
  }

  /**
   * Admin API authentication (README: API at a glance): HTTP Basic with an admin client's credentials. Bad or
   * missing credentials → 401 with a Basic challenge; a real client without the flag → 403.
   */
  async authenticateAdminClient(
    caller: Caller,
    authorization: string | undefined,
  ): Promise<Client> {
    const header = parseAuthorizationHeader(authorization);
    const decoded =
      header?.scheme === 'basic' ? decodeBasicCredentials(header.credentials) : undefined;
    if (!decoded) throw OAuthError.invalidClient(CLIENT_AUTH_FAILED);
    const client = await this.verify(caller, decoded.user, decoded.password);
    if (!client.isAdmin) {
      throw new OAuthError(403, 'unauthorized_client', 'The client is not an admin client.');
    }
    return client;
  }

  /**
   * Client authentication at /oauth2/token, /oauth2/revoke and /oauth2/introspect:
   * client_secret_basic, client_secret_post, or `client_id` alone for a public client
   * (RFC 6749 §2.3.1, §3.2.1). Using two methods at once is refused (RFC 6749 §2.3). The
   * form's fields arrive without empty values (RFC 6749 §3.1, readFormFields): `client_secret=`
   * is no secret, so it never authenticates a confidential client, and a public client that
   * sends it authenticates with its client_id alone.
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
        throw OAuthError.invalidClient(CLIENT_AUTH_FAILED);
      }
      return this.verify(presented.caller, clientId, secret);
    }
    if (presented.clientId === undefined) {
      // A secret without the id it belongs to is a malformed request (RFC 6749 §5.2,
      // invalid_request; Kustvakt answers the same), not an absent client authentication.
      if (presented.clientSecret !== undefined) {
        throw OAuthError.invalidRequest('client_secret was sent without client_id.');
      }
      throw OAuthError.invalidClient('Client authentication is required.');
    }
    if (presented.clientSecret === undefined) {
      const client = await this.clients.findById(presented.clientId);
      if (!client || client.type !== 'PUBLIC') throw OAuthError.invalidClient(CLIENT_AUTH_FAILED);
      return client;
    }
    return this.verify(presented.caller, presented.clientId, presented.clientSecret);
  }

  /**
   * The confidential client with this id and secret, or 401 invalid_client, one description
   * for an unknown client and a wrong secret. Constant time in the secret; the failure is
   * reserved with the throttle before the check (FailureThrottle.attempt).
   */
  private async verify(caller: Caller, clientId: string, secret: string): Promise<Client> {
    const client = await this.throttle.attempt(caller, clientId, async () => {
      const found = await this.clients.findById(clientId);
      // Compare even when the client is unknown or public, so timing tells nothing.
      const matches = constantTimeEquals(
        digestSecret(secret),
        found?.secretDigest ?? UNMATCHABLE_DIGEST,
      );
      return found && found.secretDigest !== null && matches ? found : null;
    });
    if (!client)
      throw OAuthError.invalidClient(CLIENT_AUTH_FAILED).countsAsFailureOf(clientId, true);
    return client;
  }
}

function safeDecodeURIComponent(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
