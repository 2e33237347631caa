import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { dateTimeColumn, flagColumn } from '../database/column-types';

export type ClientType = 'PUBLIC' | 'CONFIDENTIAL';
export const CLIENT_TYPES: readonly ClientType[] = ['PUBLIC', 'CONFIDENTIAL'];

/** An application registered with tokenvakt. */
@Entity('clients')
export class Client {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  /** 3 to 255 characters, as Kalamar allows (README: Client registration and info). */
  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  type!: ClientType;

  /** SHA-256 of the secret (hex); null for public clients. */
  @Column({ name: 'secret_digest', type: 'varchar', length: 64, nullable: true })
  secretDigest!: string | null;

  /** First-party client: password grant, scope `all`, super-client services. Operator-granted. */
  @Column(flagColumn('is_super'))
  isSuper!: boolean;

  /** May use the user-independent admin API. Operator-granted. */
  @Column(flagColumn('is_admin'))
  isAdmin!: boolean;

  /** A resource server: may introspect tokens (RFC 7662 §2.1). Operator-granted. */
  @Column(flagColumn('may_introspect'))
  mayIntrospect!: boolean;

  /**
   * A plugin (a client with a `source`) that an operator has permitted to be installed from
   * Kalamar's marketplace. Operator-granted. A client without a source needs no permission: it
   * is permitted whatever this says (clientIsPermitted), as Kustvakt registers every other
   * client permitted (OAuth2ClientDao.registerClient).
   */
  @Column(flagColumn('plugin_permitted'))
  pluginPermitted!: boolean;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description!: string | null;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  url!: string | null;

  @Column({ name: 'redirect_uri', type: 'varchar', length: 2000, nullable: true })
  redirectUri!: string | null;

  /** Refresh token lifetime in seconds for this client; null means REFRESH_TOKEN_TTL. */
  @Column({ name: 'refresh_token_expiry', type: 'int', nullable: true })
  refreshTokenExpiry!: number | null;

  /**
   * The user who registered it (`users.id`, never reused), who alone may see its details,
   * reset its secret or deregister it. Null for clients an operator created, and for those
   * whose registrant was already removed when user ids were introduced (nobody owns them).
   */
  @Index('IDX_clients_registered_by_user_id')
  @Column({ name: 'registered_by_user_id', type: 'int', nullable: true })
  registeredByUserId!: number | null;

  /** The registrant's name at registration, for the operator's `clients list` only. */
  @Column({ name: 'registered_by', type: 'varchar', length: 100, nullable: true })
  registeredBy!: string | null;

  @Column(dateTimeColumn('registration_date'))
  registrationDate!: Date;

  /**
   * What the registrant said the client is, as the JSON text of an object: Kalamar's plugin
   * description (README: Client registration and info). Read back only to be shown, never interpreted.
   */
  @Column({ type: 'text', nullable: true })
  source!: string | null;
}

/** Kustvakt's plugin: a client registered with a `source` (OAuth2ClientService.isPlugin). */
export function clientIsPlugin(client: Client): boolean {
  return client.source !== null;
}

/**
 * Kustvakt's `permitted`: whether the client may be installed (README: Plugins). A plugin needs
 * an operator's permission; every other client has it (OAuth2ClientDao.registerClient).
 */
export function clientIsPermitted(client: Client): boolean {
  return !clientIsPlugin(client) || client.pluginPermitted;
}
