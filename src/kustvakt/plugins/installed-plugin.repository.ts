import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { Client } from '../../clients/client.entity';
import { InstalledPlugin } from './installed-plugin.entity';

/** Duplicate primary key: MySQL/MariaDB, and better-sqlite3's extended result code. */
const DUPLICATE_KEY_CODES = new Set(['ER_DUP_ENTRY', 'SQLITE_CONSTRAINT_PRIMARYKEY']);

function isDuplicateKey(error: unknown): boolean {
  for (
    let e: unknown = error, depth = 0;
    typeof e === 'object' && e !== null && depth < 3;
    depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && DUPLICATE_KEY_CODES.has(code)) return true;
    e = (e as { driverError?: unknown }).driverError;
  }
  return false;
}

/** The only code that reads or writes `installed_plugins` (README: Plugins). */
@Injectable()
export class InstalledPluginRepository {
  constructor(
    @InjectRepository(InstalledPlugin) private readonly plugins: Repository<InstalledPlugin>,
  ) {}

  /**
   * Records an installation; false when the user has it installed in that super client
   * already. The primary key settles two installations racing: one insert wins.
   */
  async insert(row: InstalledPlugin): Promise<boolean> {
    try {
      await this.plugins.insert(row);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** The user's installations in one super client, with their clients, by client name (PRIMARY). */
  findForUser(userId: number, superClientId: string): Promise<InstalledPlugin[]> {
    return this.plugins
      .createQueryBuilder('p')
      .innerJoinAndMapOne('p.client', Client, 'c', 'c.id = p.client_id')
      .where('p.user_id = :userId AND p.super_client_id = :superClientId', {
        userId,
        superClientId,
      })
      .orderBy('c.name', 'ASC')
      .addOrderBy('c.id', 'ASC')
      .getMany();
  }

  /** Deletes one installation; false when there was none. */
  async delete(
    key: Pick<InstalledPlugin, 'userId' | 'superClientId' | 'clientId'>,
    manager: EntityManager,
  ): Promise<boolean> {
    const result = await manager.getRepository(InstalledPlugin).delete(key);
    return (result.affected ?? 0) > 0;
  }

  /** A removed client's installations, as the plugin and as the super client installed in. */
  async deleteForClient(clientId: string, manager: EntityManager): Promise<void> {
    const repository = manager.getRepository(InstalledPlugin);
    await repository.delete({ clientId });
    await repository.delete({ superClientId: clientId });
  }

  /** A removed user's installations. */
  async deleteForUser(userId: number, manager: EntityManager): Promise<void> {
    await manager.getRepository(InstalledPlugin).delete({ userId });
  }
}
