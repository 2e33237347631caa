import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { User } from './user.entity';

@Injectable()
export class UserRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findByUsername(username: string): Promise<User | null> {
    return this.users.findOneBy({ username });
  }

  async insert(user: Omit<User, 'id'>): Promise<void> {
    await this.users.insert(user);
  }

  async deleteByUsername(username: string): Promise<boolean> {
    const result = await this.users.delete({ username });
    return (result.affected ?? 0) > 0;
  }
}
