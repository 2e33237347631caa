import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Makes `users.password_hash` nullable: a user of the directory (USER_STORE=ldap) gets a row,
 * so that tokens belong to a `users.id` as for everyone, but no password hash.
 *
 * SQLite cannot drop a NOT NULL constraint in place, so the table is copied, every row with
 * its id. The copy keeps the table's AUTOINCREMENT counter too (sqlite_sequence): the new
 * table's counter would start at the highest id left, and the id of a removed user with a
 * higher one would be given again (README: Who is who).
 */
export class DirectoryUsers1796197496622 implements MigrationInterface {
  name = 'DirectoryUsers1796197496622';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await this.copyUsersTable(queryRunner, `"password_hash" varchar(255)`, `"password_hash"`);
  }

  /** A directory user's row keeps no usable hash: `!` is no scrypt digest, so nothing matches it. */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await this.copyUsersTable(
      queryRunner,
      `"password_hash" varchar(255) NOT NULL`,
      `COALESCE("password_hash", '!')`,
    );
  }

  private async copyUsersTable(
    queryRunner: QueryRunner,
    passwordHashColumn: string,
    passwordHashValue: string,
  ): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_users_username"`);
    await queryRunner.query(`
            CREATE TABLE "temporary_users" (
                "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
                "username" varchar(100) NOT NULL,
                ${passwordHashColumn},
                "created_at" datetime(3) NOT NULL
            )
        `);
    await queryRunner.query(`
            INSERT INTO "temporary_users" ("id", "username", "password_hash", "created_at")
            SELECT "id", "username", ${passwordHashValue}, "created_at" FROM "users"
        `);
    await queryRunner.query(`DELETE FROM "sqlite_sequence" WHERE "name" = 'temporary_users'`);
    await queryRunner.query(`
            INSERT INTO "sqlite_sequence" ("name", "seq")
            SELECT 'temporary_users', "seq" FROM "sqlite_sequence" WHERE "name" = 'users'
        `);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`ALTER TABLE "temporary_users" RENAME TO "users"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_users_username" ON "users" ("username")`);
  }
}
