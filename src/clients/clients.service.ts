import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { digestSecret, generateClientId, generateSecret, SECRET_PREFIX } from '../auth/secrets';
import { AuthorizationCodeRepository } from '../authorization/authorization-code.repository';
import { OAuthError } from '../common/oauth-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { transactionRetryingLockConflicts } from '../database/lock-conflicts';
import { KUSTVAKT_STATUS } from '../kustvakt/kustvakt-errors';
import { InstalledPluginRepository } from '../kustvakt/plugins/installed-plugin.repository';
import { TokenRepository } from '../tokens/token.repository';
import { Client, clientIsPermitted, clientIsPlugin, type ClientType } from './client.entity';
import { ClientRepository } from './client.repository';
import { registrableRedirectUri } from './redirect-uri';

/** A JSON object a registrant sends to describe the client (README: Client registration and info). */
export type ClientSource = Record<string, unknown>;

export interface ClientRegistration {
  name: string;
  type: ClientType;
  description?: string;
  url?: string;
  redirectUri?: string;
  refreshTokenExpiry?: number;
  /** What the client is, for its users to see: Kalamar's plugin description. */
  source?: ClientSource;
  /** Operator-only flags (CLI); users cannot set them. Confidential clients only. */
  isSuper?: boolean;
  isAdmin?: boolean;
  mayIntrospect?: boolean;
}

export interface RegisteredClient {
  client_id: string;
  /** Shown once, at registration; only its digest is stored. */
  client_secret?: string;
}

/** The user registering a client: `registeredByUserId` owns it, the name is for display. */
export interface Registrant {
  userId: number;
  username: string;
}

export type ClientFlag = 'super' | 'admin' | 'introspect' | 'permitted';
export const CLIENT_FLAGS: readonly ClientFlag[] = ['super', 'admin', 'introspect', 'permitted'];

/** The flags an operator may give at registration (`clients add`); a plugin is permitted later. */
const REGISTRATION_FLAGS = ['super', 'admin', 'introspect'] as const satisfies ClientFlag[];

/** The column of each operator flag. */
const FLAG_PROPERTY = {
  super: 'isSuper',
  admin: 'isAdmin',
  introspect: 'mayIntrospect',
  permitted: 'pluginPermitted',
} as const satisfies Record<ClientFlag, keyof Client>;

/**
 * Every flag needs a client that can keep a secret: a public client authenticates with its
 * client_id alone, which anyone can copy (RFC 6749 §2.1, §10.1).
 */
const CONFIDENTIAL_ONLY: Record<ClientFlag, string> = {
  super: 'Only confidential clients can be super clients.',
  admin: 'Only confidential clients can be admin clients.',
  introspect: 'Only confidential clients can introspect tokens.',
  permitted: 'Only confidential clients can be plugins.',
};

/** `filter_by` of POST /oauth2/client/list (README: API at a glance). */
export type ClientListFilter = 'owned_only' | 'authorized_only';
export const CLIENT_LIST_FILTERS: readonly ClientListFilter[] = ['owned_only', 'authorized_only'];
/**
 * What a client list holds: one filter, or both lists one after the other (what Kustvakt's
 * v1.1 path answers without `filter_by`, src/kustvakt/legacy-client-list.ts).
 */
export type ClientListSelection = ClientListFilter | 'authorized_and_owned';

/**
 * A client as its users see it (README: Client registration and info): the public fields for
 * anyone the super client asks for, `source` when the client has one, the last two fields only
 * for its registrant.
 */
export interface ClientInfo {
  client_id: string;
  client_name: string;
  client_type: ClientType;
  client_description: string | null;
  client_url: string | null;
  client_redirect_uri: string | null;
  source?: ClientSource;
  /** Kustvakt's OAuth2ClientInfoDto field: a super client (the list never has one). */
  super: boolean;
  /** Kustvakt's: may be installed, which a plugin may once an operator permitted it. */
  permitted: boolean;
  registration_date?: string;
  /** Seconds; the effective value (the client's own or REFRESH_TOKEN_TTL); null for public. */
  refresh_token_expiry?: number | null;
}

/** The longest refresh token lifetime a client may ask for (README: API at a glance): one year. */
export const MAX_REFRESH_TOKEN_EXPIRY = 31_536_000;

/** Kalamar's bounds for a client name (`size(3, 255)` once trimmed, in Auth.pm), in characters. */
export const MIN_CLIENT_NAME_LENGTH = 3;
export const MAX_CLIENT_NAME_LENGTH = 255;

/**
 * The longest `source`, in UTF-8 bytes of its JSON text: it must fit MySQL's TEXT column
 * (65,535 bytes). Counted in bytes because characters are not enough: 60,000 three-byte
 * characters would not fit. The 64 KiB body limit does not bound it either, since JSON can
 * grow when serialised again (`1e20` becomes `100000000000000000000`).
 */
export const MAX_SOURCE_BYTES = 60_000;

@Injectable()
export class ClientsService {
  constructor(
    private readonly clients: ClientRepository,
    private readonly tokens: TokenRepository,
    private readonly codes: AuthorizationCodeRepository,
    private readonly installedPlugins: InstalledPluginRepository,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The client, or 400 invalid_request: for `client_id` filters that must name a client. */
  async requireExisting(clientId: string): Promise<Client> {
    const client = await this.clients.findById(clientId);
    if (!client) throw OAuthError.invalidRequest('client_id names no client.');
    return client;
  }

  /**
   * Clients the user registered, or clients holding a live token of the user, or the latter
   * followed by the former; never super. Each client is listed once: where Kustvakt lists a
   * client that is both authorized and owned twice, tokenvakt keeps its first place.
   */
  async listForUser(userId: number, selection: ClientListSelection): Promise<ClientInfo[]> {
    const authorized =
      selection === 'owned_only'
        ? []
        : await this.clients.findNonSuperByIds(
            await this.tokens.findClientIdsWithLiveTokens(userId, new Date()),
          );
    const owned =
      selection === 'authorized_only' ? [] : await this.clients.findRegisteredBy(userId);
    const listed = new Set(authorized.map((client) => client.id));
    const clients = [...authorized, ...owned.filter((client) => !listed.has(client.id))];
    return clients.map((client) => this.describe(client, userId));
  }

  /** A client's info for the user, or for nobody in particular (`userId` undefined). */
  async info(clientId: string, userId: number | undefined): Promise<ClientInfo> {
    const client = await this.clients.findById(clientId);
    if (!client) throw OAuthError.notFound(`No client "${clientId}".`);
    return this.describe(client, userId);
  }

  /** The client, or 404. */
  async require(clientId: string): Promise<Client> {
    const client = await this.clients.findById(clientId);
    if (!client) throw OAuthError.notFound(`No client "${clientId}".`);
    return client;
  }

  /** Deletes a client its registrant no longer wants (README: API at a glance). */
  async deregister(clientId: string, userId: number): Promise<void> {
    await this.requireRegistrant(clientId, userId);
    await this.remove(clientId);
  }

  /**
   * Deletes a client, revoking all its tokens and deleting its codes and installations (as a
   * plugin, or as the super client installed in) in one transaction: its registrant's
   * deregistration, or the operator's `clients remove`.
   */
  async remove(clientId: string): Promise<void> {
    await this.require(clientId);
    await transactionRetryingLockConflicts(this.dataSource, async (manager) => {
      await this.tokens.revokeForClient(clientId, new Date(), manager);
      await this.codes.deleteForClient(clientId, manager);
      await this.installedPlugins.deleteForClient(clientId, manager);
      await this.clients.delete(clientId, manager);
    });
  }

  /** Gives a confidential client of this registrant a new secret. */
  async resetSecret(clientId: string, userId: number): Promise<RegisteredClient> {
    return this.newSecret(await this.requireRegistrant(clientId, userId));
  }

  /** The operator's `clients reset`: any confidential client, super clients included. */
  async resetSecretOf(clientId: string): Promise<RegisteredClient> {
    return this.newSecret(await this.require(clientId));
  }

  /** A new secret; the old one stops working at once (nothing caches a client). */
  private async newSecret(client: Client): Promise<RegisteredClient> {
    if (client.type !== 'CONFIDENTIAL') {
      throw OAuthError.invalidRequest('Public clients have no secret to reset.');
    }
    const secret = generateSecret(SECRET_PREFIX.clientSecret);
    await this.clients.update(client.id, { secretDigest: digestSecret(secret) });
    return { client_id: client.id, client_secret: secret };
  }

  private async requireRegistrant(clientId: string, userId: number): Promise<Client> {
    const client = await this.require(clientId);
    if (client.registeredByUserId !== userId) {
      throw new OAuthError(
        403,
        'access_denied',
        'Only the user who registered the client may do this.',
      );
    }
    return client;
  }

  /**
   * What the user `userId` (undefined: nobody logged in) sees of a client. The redirect URI is
   * public: every authorization redirect shows it, and Kalamar's consent page, shown before
   * the user logs in, compares the requested one with it. `super` and `permitted` are
   * Kustvakt's (OAuth2ClientInfoDto), told to everyone: whether a client is a super client or
   * may be installed is no secret of its registrant.
   */
  describe(client: Client, userId: number | undefined): ClientInfo {
    const info: ClientInfo = {
      client_id: client.id,
      client_name: client.name,
      client_type: client.type,
      client_description: client.description,
      client_url: client.url,
      client_redirect_uri: client.redirectUri,
      super: client.isSuper,
      permitted: clientIsPermitted(client),
    };
    if (client.source !== null) info.source = JSON.parse(client.source) as ClientSource;
    if (userId === undefined || client.registeredByUserId !== userId) return info;
    return {
      ...info,
      registration_date: client.registrationDate.toISOString(),
      refresh_token_expiry:
        client.type === 'CONFIDENTIAL'
          ? (client.refreshTokenExpiry ?? this.config.refreshTokenTtl)
          : null,
    };
  }

  /** Registers a client (README: API at a glance); `registrant` is the user, or null for an operator. */
  async register(
    registration: ClientRegistration,
    registrant: Registrant | null,
  ): Promise<RegisteredClient> {
    // Kustvakt takes 0 for "the default" (REFRESH_TOKEN_TTL), and its Java client always sends
    // the field, for public clients too: 0 means the same as leaving it out.
    if (registration.refreshTokenExpiry === 0) {
      registration = { ...registration, refreshTokenExpiry: undefined };
    }
    validateRegistration(registration);
    if (registration.type !== 'CONFIDENTIAL') {
      const flag = REGISTRATION_FLAGS.find((f) => registration[FLAG_PROPERTY[f]] === true);
      if (flag) throw OAuthError.invalidRequest(CONFIDENTIAL_ONLY[flag]);
    }
    const redirectUri =
      registration.redirectUri === undefined
        ? null
        : registrableRedirectUri(registration.redirectUri);
    const source = registration.source === undefined ? null : sourceText(registration.source);
    const secret =
      registration.type === 'CONFIDENTIAL' ? generateSecret(SECRET_PREFIX.clientSecret) : undefined;
    const client = Object.assign(new Client(), {
      id: generateClientId(),
      name: registration.name,
      type: registration.type,
      secretDigest: secret === undefined ? null : digestSecret(secret),
      isSuper: registration.isSuper ?? false,
      isAdmin: registration.isAdmin ?? false,
      mayIntrospect: registration.mayIntrospect ?? false,
      // A plugin waits for an operator's permission (Kustvakt: OAuth2ClientDao.registerClient).
      pluginPermitted: false,
      description: registration.description ?? null,
      url: registration.url ?? null,
      redirectUri,
      refreshTokenExpiry: registration.refreshTokenExpiry ?? null,
      registeredByUserId: registrant?.userId ?? null,
      registeredBy: registrant?.username ?? null,
      registrationDate: new Date(),
      source,
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
   * The operator's `clients update --redirect-uri`: a client's redirect URI under the rules of
   * registration, stored canonical. Codes already issued keep the URI they were bound to.
   */
  async setRedirectUri(clientId: string, redirectUri: string): Promise<string> {
    await this.require(clientId);
    const canonical = registrableRedirectUri(redirectUri);
    await this.clients.update(clientId, { redirectUri: canonical });
    return canonical;
  }

  /**
   * Grants or removes an operator flag. Removing `super` revokes the client's tokens: they
   * were issued under the password grant and scope `all`, which it may no longer use.
   * `permitted` is for plugins only (every other client is permitted anyway); removing it
   * stops new installations and leaves existing ones and the plugin's tokens alone.
   */
  async setFlag(clientId: string, flag: ClientFlag, value: boolean): Promise<void> {
    const client = await this.clients.findById(clientId);
    if (!client) throw OAuthError.notFound(`No client "${clientId}".`);
    if (value && client.type !== 'CONFIDENTIAL') {
      throw OAuthError.invalidRequest(CONFIDENTIAL_ONLY[flag]);
    }
    if (value && flag === 'permitted' && !clientIsPlugin(client)) {
      throw OAuthError.invalidRequest(
        'Only plugins (clients registered with a source) need to be permitted.',
      );
    }
    await this.clients.update(clientId, { [FLAG_PROPERTY[flag]]: value });
    if (flag === 'super' && !value && client.isSuper) {
      await this.tokens.revokeForClient(clientId, new Date());
    }
  }
}

function validateRegistration(r: ClientRegistration): void {
  // Counted in characters (code points), as Kalamar and MySQL's varchar count them.
  if (
    [...r.name.trim()].length < MIN_CLIENT_NAME_LENGTH ||
    [...r.name].length > MAX_CLIENT_NAME_LENGTH
  ) {
    throw OAuthError.invalidRequest(
      `name must be ${MIN_CLIENT_NAME_LENGTH} to ${MAX_CLIENT_NAME_LENGTH} characters.`,
    );
  }
  if (r.description !== undefined && (r.description.trim() === '' || r.description.length > 1000)) {
    throw OAuthError.invalidRequest('description must be 1 to 1000 characters.');
  }
  if (r.url !== undefined && !isHttpUrl(r.url)) {
    throw OAuthError.invalidRequest('url must be an absolute http or https URL.');
  }
  // A client with a source is Kalamar's plugin: Kustvakt requires its URL and a confidential
  // client (OAuth2ClientService.checkClientJson, OAuth2ClientDao.registerClient), in that order.
  if (r.source !== undefined) {
    if (r.url === undefined) {
      throw OAuthError.invalidRequest('URL is required for plugins.').withKustvaktStatus(
        KUSTVAKT_STATUS.MISSING_PARAMETER,
      );
    }
    if (r.type !== 'CONFIDENTIAL') {
      throw OAuthError.invalidRequest('Only confidential plugins are supported.');
    }
  }
  if (r.refreshTokenExpiry !== undefined) {
    if (r.type !== 'CONFIDENTIAL') {
      throw OAuthError.invalidRequest('refresh_token_expiry is only for confidential clients.');
    }
    if (!Number.isInteger(r.refreshTokenExpiry) || r.refreshTokenExpiry < 0) {
      throw OAuthError.invalidRequest(
        `refresh_token_expiry must be 0 (the default) to ${MAX_REFRESH_TOKEN_EXPIRY} seconds.`,
      );
    }
    if (r.refreshTokenExpiry > MAX_REFRESH_TOKEN_EXPIRY) {
      // Kustvakt's words, which its clients may show.
      throw OAuthError.invalidRequest(
        `Maximum refresh token expiry is ${MAX_REFRESH_TOKEN_EXPIRY} seconds (1 year)`,
      );
    }
  }
}

/** The JSON text `source` is stored as, or 400 invalid_request when it is too long. */
function sourceText(source: ClientSource): string {
  const text = JSON.stringify(source);
  if (Buffer.byteLength(text) > MAX_SOURCE_BYTES) {
    throw OAuthError.invalidRequest(`source must be at most ${MAX_SOURCE_BYTES} bytes as JSON.`);
  }
  return text;
}

/** An absolute http(s) URL of at most 2000 characters. */
function isHttpUrl(raw: string): boolean {
  if (raw.length > 2000) return false;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return url.protocol === 'http:' || url.protocol === 'https:';
}
