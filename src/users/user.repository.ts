import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { User } from './user.entity';

@Injectable()
export class UserRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findByUsername(username: string, manager?: EntityManager): Promise<User | null> {
    return this.repository(manager).findOneBy({ username });
  }

  /** Whether the user with this id still exists (ids are never reused). */
  existsById(id: number, manager?: EntityManager): Promise<boolean> {
    return this.repository(manager).existsBy({ id });
  }

  findAll(): Promise<User[]> {
    return this.users.find({ order: { username: 'ASC' } });
  }

  async updatePasswordHash(id: number, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash });
  }

  async insert(user: Omit<User, 'id'>): Promise<void> {
    await this.users.insert(user);
  }

  /**
   * The row of a directory user, made at their first login (no password hash). Two first
   * logins racing are settled by the unique index: one insert wins, the other is ignored
   * (INSERT IGNORE / INSERT OR IGNORE; the name passed the username rule, so a duplicate is
   * all there is to ignore), and both read the winner's row.
   */
  async findOrInsertWithoutPassword(username: string): Promise<User> {
    const existing = await this.findByUsername(username);
    if (existing) return existing;
    await this.users
      .createQueryBuilder()
      .insert()
      .values({ username, passwordHash: null, createdAt: new Date() })
      .orIgnore()
      .execute();
    return this.users.findOneByOrFail({ username });
  }

  async delete(id: number, manager: EntityManager): Promise<boolean> {
    const result = await manager.getRepository(User).delete({ id });
    return (result.affected ?? 0) > 0;
  }

  private repository(manager?: EntityManager): Repository<User> {
    return manager ? manager.getRepository(User) : this.users;
  }
}
