import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, IsNull, Not, type Repository } from 'typeorm';
import { RawSql, type SqlRow } from '../database/raw-sql';
import { Client } from './client.entity';
import { CLIENT_ALIAS, CLIENT_BY_ID, CLIENT_COLUMNS } from './client.sql';

/**
 * What a client id can look like (generated ids are letters and digits; older ones base64url).
 * Anything else names no client and is not looked up: MySQL/MariaDB compare `utf8mb4_bin`
 * with PAD SPACE, where `abc ` would find `abc`.
 */
const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `id` could name a client at all (see CLIENT_ID_PATTERN); only such ids are looked up. */
export function couldBeClientId(id: string): boolean {
  return CLIENT_ID_PATTERN.test(id);
}

/**
 * The only code that reads or writes the `clients` table. findById, on every client
 * authentication, sends a fixed statement through RawSql; the rest uses TypeORM.
 */
@Injectable()
export class ClientRepository {
  private readonly readClient: (row: SqlRow) => Client;

  constructor(
    @InjectRepository(Client) private readonly clients: Repository<Client>,
    private readonly sql: RawSql,
  ) {
    this.readClient = sql.reader(Client, CLIENT_COLUMNS, `${CLIENT_ALIAS}_`);
  }

  async findById(id: string): Promise<Client | null> {
    if (!CLIENT_ID_PATTERN.test(id)) return null;
    const [row] = await this.sql.select(CLIENT_BY_ID, [id]);
    return row ? this.readClient(row) : null;
  }

  findByIds(ids: readonly string[]): Promise<Client[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.clients.findBy({ id: In([...ids]) });
  }

  /** Clients a user registered, super clients excepted, sorted by name. */
  findRegisteredBy(userId: number): Promise<Client[]> {
    return this.clients.find({
      where: { registeredByUserId: userId, isSuper: false },
      order: { name: 'ASC', id: 'ASC' },
    });
  }

  /** These clients, super clients excepted, sorted by name. */
  findNonSuperByIds(ids: readonly string[]): Promise<Client[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.clients.find({
      where: { id: In([...ids]), isSuper: false },
      order: { name: 'ASC', id: 'ASC' },
    });
  }

  /**
   * Kalamar's plugins: clients with a source, super clients excepted, sorted by name; with
   * `permittedOnly`, only those an operator has permitted (Kustvakt: retrievePlugins).
   */
  findPlugins(permittedOnly: boolean): Promise<Client[]> {
    return this.clients.find({
      where: {
        source: Not(IsNull()),
        isSuper: false,
        ...(permittedOnly ? { pluginPermitted: true } : {}),
      },
      order: { name: 'ASC', id: 'ASC' },
    });
  }

  findAll(): Promise<Client[]> {
    return this.clients.find({ order: { name: 'ASC', id: 'ASC' } });
  }

  async existsSuperClient(): Promise<boolean> {
    return (await this.clients.countBy({ isSuper: true })) > 0;
  }

  async findPublicSuperClientIds(): Promise<string[]> {
    const rows = await this.clients.find({
      select: { id: true },
      where: { isSuper: true, type: 'PUBLIC' },
      order: { id: 'ASC' },
    });
    return rows.map((row) => row.id);
  }

  async insert(client: Client): Promise<void> {
    await this.clients.insert(client);
  }

  async update(id: string, changes: Partial<Omit<Client, 'id'>>): Promise<boolean> {
    const result = await this.clients.update({ id }, changes);
    return (result.affected ?? 0) > 0;
  }

  async delete(id: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(Client).delete({ id });
  }
}
