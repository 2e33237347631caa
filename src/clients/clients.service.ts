import { Injectable } from '@nestjs/common';
import { digestSecret, generateId, generateSecret, SECRET_PREFIX } from '../auth/secrets';
import { OAuthError } from '../common/oauth-error';
import { TokenRepository } from '../tokens/token.repository';
import { Client, type ClientType } from './client.entity';
import { ClientRepository } from './client.repository';

export interface ClientRegistration {
  name: string;
  type: ClientType;
  description?: string;
  url?: string;
  redirectUri?: string;
  refreshTokenExpiry?: number;
  /** Operator-only flags (CLI); users cannot set them. */
  isSuper?: boolean;
  isAdmin?: boolean;
}

export interface RegisteredClient {
  client_id: string;
  /** Shown once, at registration; only its digest is stored. */
  client_secret?: string;
}

export type ClientFlag = 'super' | 'admin';

/** The longest refresh token lifetime a client may ask for (SPEC §6): one year. */
export const MAX_REFRESH_TOKEN_EXPIRY = 31_536_000;

@Injectable()
export class ClientsService {
  constructor(
    private readonly clients: ClientRepository,
    private readonly tokens: TokenRepository,
  ) {}

  /** Registers a client (SPEC §6 rules); `registeredBy` is the user, or null for an operator. */
  async register(
    registration: ClientRegistration,
    registeredBy: string | null,
  ): Promise<RegisteredClient> {
    validateRegistration(registration);
    const secret =
      registration.type === 'CONFIDENTIAL' ? generateSecret(SECRET_PREFIX.clientSecret) : undefined;
    const client = Object.assign(new Client(), {
      id: generateId(12),
      name: registration.name,
      type: registration.type,
      secretDigest: secret === undefined ? null : digestSecret(secret),
      isSuper: registration.isSuper ?? false,
      isAdmin: registration.isAdmin ?? false,
      description: registration.description ?? null,
      url: registration.url ?? null,
      redirectUri: registration.redirectUri ?? null,
      refreshTokenExpiry: registration.refreshTokenExpiry ?? null,
      registeredBy,
      registrationDate: new Date(),
    });
    await this.clients.insert(client);
    return secret === undefined
      ? { client_id: client.id }
      : { client_id: client.id, client_secret: secret };
  }

  list(): Promise<Client[]> {
    return this.clients.findAll();
  }

  /**
   * Grants or removes an operator flag. Removing `super` revokes the client's tokens: they
   * were issued under the password grant and scope `all`, which it may no longer use.
   */
  async setFlag(clientId: string, flag: ClientFlag, value: boolean): Promise<void> {
    const client = await this.clients.findById(clientId);
    if (!client) throw OAuthError.notFound(`No client "${clientId}".`);
    if (value && client.type !== 'CONFIDENTIAL') {
      throw OAuthError.invalidRequest(`Only confidential clients can be ${flag} clients.`);
    }
    await this.clients.update(clientId, flag === 'super' ? { isSuper: value } : { isAdmin: value });
    if (flag === 'super' && !value && client.isSuper) {
      await this.tokens.revokeForClient(clientId, new Date());
    }
  }
}

function validateRegistration(r: ClientRegistration): void {
  const name = r.name.trim();
  if (name.length < 3 || name.length > 100) {
    throw OAuthError.invalidRequest('name must be 3 to 100 characters.');
  }
  if (r.description !== undefined && (r.description.trim() === '' || r.description.length > 1000)) {
    throw OAuthError.invalidRequest('description must be 1 to 1000 characters.');
  }
  if (r.url !== undefined && !isHttpUrl(r.url, true)) {
    throw OAuthError.invalidRequest('url must be an absolute http or https URL.');
  }
  if (r.redirectUri !== undefined && !isHttpUrl(r.redirectUri, false)) {
    throw OAuthError.invalidRequest(
      'redirect_uri must be an absolute http or https URL without a fragment.',
    );
  }
  if (r.refreshTokenExpiry !== undefined) {
    if (r.type !== 'CONFIDENTIAL') {
      throw OAuthError.invalidRequest('refresh_token_expiry is only for confidential clients.');
    }
    if (
      !Number.isInteger(r.refreshTokenExpiry) ||
      r.refreshTokenExpiry < 1 ||
      r.refreshTokenExpiry > MAX_REFRESH_TOKEN_EXPIRY
    ) {
      throw OAuthError.invalidRequest(
        `refresh_token_expiry must be 1 to ${MAX_REFRESH_TOKEN_EXPIRY} seconds.`,
      );
    }
  }
}

/** An absolute http(s) URL of at most 2000 characters; redirect URIs also have no fragment. */
function isHttpUrl(raw: string, fragmentAllowed: boolean): boolean {
  if (raw.length > 2000) return false;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    (fragmentAllowed || !raw.includes('#'))
  );
}
