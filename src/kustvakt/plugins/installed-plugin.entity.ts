import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Client } from '../../clients/client.entity';
import { dateTimeColumn } from '../../database/column-types';

/**
 * A plugin a user installed in a super client's marketplace (Kustvakt's installed_plugin,
 * V1.12__plugins.sql): one row per user, super client and plugin, as Kustvakt's unique index.
 * Kustvakt lists and uninstalls per super client (InstalledPluginDao), so the super client is
 * part of the key. No foreign keys, as everywhere in tokenvakt: removing a client or a user
 * deletes its rows in the same transaction (ClientsService.remove, UsersService.remove).
 */
@Entity('installed_plugins')
// Deleting a removed client's installations, whether it was the plugin or the super client.
@Index('IDX_installed_plugins_client', ['clientId'])
@Index('IDX_installed_plugins_super_client', ['superClientId'])
export class InstalledPlugin {
  /** The user who installed it (`users.id`, never reused). First: a user's list is a prefix. */
  @PrimaryColumn({ name: 'user_id', type: 'int' })
  userId!: number;

  /** The super client (front end) it was installed in. */
  @PrimaryColumn({ name: 'super_client_id', type: 'varchar', length: 64 })
  superClientId!: string;

  /** The plugin. */
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column(dateTimeColumn('installed_at'))
  installedAt!: Date;

  /** The plugin's client, when a query joins it in; not a column. */
  client?: Client;
}
