import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Makes `users.password_hash` nullable: a user of the directory (USER_STORE=ldap) gets a row,
 * so that tokens belong to a `users.id` as for everyone, but no password hash.
 */
export class DirectoryUsers1796197502609 implements MigrationInterface {
  name = 'DirectoryUsers1796197502609';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE \`users\` CHANGE \`password_hash\` \`password_hash\` varchar(255) NULL
        `);
  }

  /** A directory user's row keeps no usable hash: `!` is no scrypt digest, so nothing matches it. */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            UPDATE \`users\` SET \`password_hash\` = '!' WHERE \`password_hash\` IS NULL
        `);
    await queryRunner.query(`
            ALTER TABLE \`users\` CHANGE \`password_hash\` \`password_hash\` varchar(255) NOT NULL
        `);
  }
}
