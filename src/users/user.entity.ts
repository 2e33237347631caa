import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { dateTimeColumn } from '../database/column-types';

/** A person who logs in through a super client; `username` is the subject of their tokens. */
@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index('UQ_users_username', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  username!: string;

  /**
   * scrypt digest in PHC-like form: `scrypt$N$r$p$salt$hash` (never the password); null for a
   * user of the directory (USER_STORE=ldap), whose password only the directory checks.
   */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true })
  passwordHash!: string | null;

  @Column(dateTimeColumn('created_at'))
  createdAt!: Date;
}
