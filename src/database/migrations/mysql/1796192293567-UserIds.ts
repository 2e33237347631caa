import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Binds tokens, authorization codes and clients to `users.id` (never reused: InnoDB keeps the
 * AUTO_INCREMENT counter across restarts since MariaDB 10.2.4 and MySQL 8.0) instead of the
 * username, carrying existing rows over. A row belongs to the user who now has its name only
 * if that user already existed when the row was made (the user authenticated, the client was
 * registered); otherwise it came from an earlier, removed user of that name: such a token is
 * revoked, such a code deleted, and such a client left without an owner (NULL).
 */
export class UserIds1796192293567 implements MigrationInterface {
  name = 'UserIds1796192293567';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE \`tokens\`
            ADD \`user_id\` int NULL
        `);
    await queryRunner.query(`
            UPDATE \`tokens\` \`t\`
            JOIN \`users\` \`u\` ON \`u\`.\`username\` = \`t\`.\`username\`
                AND \`u\`.\`created_at\` <= COALESCE(\`t\`.\`user_authenticated_at\`, \`t\`.\`created_at\`)
            SET \`t\`.\`user_id\` = \`u\`.\`id\`
        `);
    await queryRunner.query(`
            UPDATE \`tokens\` SET \`revoked_at\` = UTC_TIMESTAMP(3)
            WHERE \`username\` IS NOT NULL AND \`user_id\` IS NULL AND \`revoked_at\` IS NULL
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_tokens_list\` ON \`tokens\`
        `);
    await queryRunner.query(`
            CREATE INDEX \`IDX_tokens_list\` ON \`tokens\` (\`user_id\`, \`type\`, \`expires_at\`, \`client_id\`)
        `);

    await queryRunner.query(`
            ALTER TABLE \`clients\`
            ADD \`registered_by_user_id\` int NULL
        `);
    await queryRunner.query(`
            UPDATE \`clients\` \`c\`
            JOIN \`users\` \`u\` ON \`u\`.\`username\` = \`c\`.\`registered_by\`
                AND \`u\`.\`created_at\` <= \`c\`.\`registration_date\`
            SET \`c\`.\`registered_by_user_id\` = \`u\`.\`id\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_clients_registered_by\` ON \`clients\`
        `);
    await queryRunner.query(`
            CREATE INDEX \`IDX_clients_registered_by_user_id\` ON \`clients\` (\`registered_by_user_id\`)
        `);

    await queryRunner.query(`
            ALTER TABLE \`authorization_codes\`
            ADD \`user_id\` int NULL
        `);
    await queryRunner.query(`
            UPDATE \`authorization_codes\` \`c\`
            JOIN \`users\` \`u\` ON \`u\`.\`username\` = \`c\`.\`username\`
                AND \`u\`.\`created_at\` <= \`c\`.\`user_authenticated_at\`
            SET \`c\`.\`user_id\` = \`u\`.\`id\`
        `);
    await queryRunner.query(`
            DELETE FROM \`authorization_codes\` WHERE \`user_id\` IS NULL
        `);
    await queryRunner.query(`
            ALTER TABLE \`authorization_codes\`
            MODIFY \`user_id\` int NOT NULL
        `);
  }

  /** Ownership goes back to names; revoked tokens and deleted codes stay so. */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE \`authorization_codes\` DROP COLUMN \`user_id\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_clients_registered_by_user_id\` ON \`clients\`
        `);
    await queryRunner.query(`
            ALTER TABLE \`clients\` DROP COLUMN \`registered_by_user_id\`
        `);
    await queryRunner.query(`
            CREATE INDEX \`IDX_clients_registered_by\` ON \`clients\` (\`registered_by\`)
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_tokens_list\` ON \`tokens\`
        `);
    await queryRunner.query(`
            ALTER TABLE \`tokens\` DROP COLUMN \`user_id\`
        `);
    await queryRunner.query(`
            CREATE INDEX \`IDX_tokens_list\` ON \`tokens\` (\`username\`, \`type\`, \`expires_at\`, \`client_id\`)
        `);
  }
}
