import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuthorizationCodeRepository } from '../../authorization/authorization-code.repository';
import { type Client, clientIsPermitted } from '../../clients/client.entity';
import { ClientRepository, couldBeClientId } from '../../clients/client.repository';
import { ClientsService, type ClientInfo } from '../../clients/clients.service';
import { OAuthError } from '../../common/oauth-error';
import { transactionRetryingLockConflicts } from '../../database/lock-conflicts';
import { MetricsService } from '../../observability/metrics.service';
import { TokenRepository } from '../../tokens/token.repository';
import { KUSTVAKT_STATUS } from '../kustvakt-errors';
import { InstalledPlugin } from './installed-plugin.entity';
import { InstalledPluginRepository } from './installed-plugin.repository';

/** An installed plugin, in Kustvakt's field names (InstalledPluginDto). */
export interface InstalledPluginEntry {
  client_id: string;
  super_client_id: string;
  name: string;
  description: string | null;
  url: string | null;
  installed_date: string;
}

/** A marketplace entry: a client's info, without the redirect URI for anyone but its registrant. */
export type PluginEntry = Omit<ClientInfo, 'client_redirect_uri'> & {
  client_redirect_uri?: string | null;
};

/**
 * Kalamar's plugin marketplace, as Kustvakt's OAuth2ClientService serves it (README: Plugins):
 * a user installs a client in a super client (the front end), lists what they installed
 * there, and uninstalls it, which revokes the user's tokens of that client.
 */
@Injectable()
export class PluginService {
  constructor(
    private readonly clients: ClientRepository,
    private readonly clientsService: ClientsService,
    private readonly installed: InstalledPluginRepository,
    private readonly tokens: TokenRepository,
    private readonly codes: AuthorizationCodeRepository,
    private readonly metrics: MetricsService,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * The plugins (clients with a source; never a super client), by name, as the user sees
   * them. As in Kustvakt, only the registrant also sees the redirect URI, the registration
   * date and the refresh expiry (OAuth2ClientInfoDto without showAllInfo).
   */
  async list(userId: number, permittedOnly: boolean): Promise<PluginEntry[]> {
    const plugins = await this.clients.findPlugins(permittedOnly);
    return plugins.map((client) => {
      const info: PluginEntry = this.clientsService.describe(client, userId);
      if (client.registeredByUserId !== userId) delete info.client_redirect_uri;
      return info;
    });
  }

  /**
   * Installs a permitted client for the user in the super client. Kustvakt's order: the
   * client (unknown: 404), its permission, then the installation itself, which the primary
   * key makes happen once however many requests race.
   */
  async install(
    superClient: Client,
    userId: number,
    clientId: string | undefined,
  ): Promise<InstalledPluginEntry> {
    const id = requireClientId(clientId);
    const client = await this.clientsService.require(id);
    if (!clientIsPermitted(client)) {
      throw OAuthError.invalidRequest('Plugin is not permitted.').withKustvaktStatus(
        KUSTVAKT_STATUS.PLUGIN_NOT_PERMITTED,
      );
    }
    const row = Object.assign(new InstalledPlugin(), {
      userId,
      superClientId: superClient.id,
      clientId: client.id,
      installedAt: new Date(),
    });
    if (!(await this.installed.insert(row))) {
      throw OAuthError.invalidRequest('Plugin has been installed.').withKustvaktStatus(
        KUSTVAKT_STATUS.PLUGIN_HAS_BEEN_INSTALLED,
      );
    }
    return toEntry(row, client);
  }

  /** The user's installations in this super client, by client name. */
  async listInstalled(superClientId: string, userId: number): Promise<InstalledPluginEntry[]> {
    const rows = await this.installed.findForUser(userId, superClientId);
    return rows.flatMap((row) => (row.client ? [toEntry(row, row.client)] : []));
  }

  /**
   * Uninstalls the plugin and revokes every token of the user for it, in one transaction
   * (Kustvakt: uninstallPlugin, then revokeAllClientTokensForUser). The user's pending codes
   * for it go too, or one issued a moment before would still buy a token after (Kustvakt
   * leaves them). Not installed: 404.
   */
  async uninstall(
    superClientId: string,
    userId: number,
    clientId: string | undefined,
  ): Promise<void> {
    const id = requireClientId(clientId);
    const revoked = await transactionRetryingLockConflicts(this.dataSource, async (manager) => {
      const key = { userId, superClientId, clientId: id };
      // An id no client can have is never compared: MySQL/MariaDB's PAD SPACE would let
      // `abc ` delete and revoke `abc`'s.
      if (!couldBeClientId(id) || !(await this.installed.delete(key, manager))) {
        throw OAuthError.notFound('The plugin is not installed.').withKustvaktStatus(
          KUSTVAKT_STATUS.NO_RESOURCE_FOUND,
        );
      }
      await this.codes.deleteForUserAndClient(userId, id, manager);
      return this.tokens.revokeForUserAndClient(userId, id, new Date(), manager);
    });
    if (revoked > 0) this.metrics.revocations.inc({ cause: 'super_client' });
  }
}

function requireClientId(clientId: string | undefined): string {
  if (!clientId) {
    throw OAuthError.invalidRequest('client_id is required.').withKustvaktStatus(
      KUSTVAKT_STATUS.INVALID_ARGUMENT,
    );
  }
  return clientId;
}

function toEntry(row: InstalledPlugin, client: Client): InstalledPluginEntry {
  return {
    client_id: client.id,
    super_client_id: row.superClientId,
    name: client.name,
    description: client.description,
    url: client.url,
    installed_date: row.installedAt.toISOString(),
  };
}
