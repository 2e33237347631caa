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

  async delete(id: number, manager: EntityManager): Promise<boolean> {
    const result = await manager.getRepository(User).delete({ id });
    return (result.affected ?? 0) > 0;
  }

  private repository(manager?: EntityManager): Repository<User> {
    return manager ? manager.getRepository(User) : this.users;
  }
}
