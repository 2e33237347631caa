import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795439966285 implements MigrationInterface {
  name = 'InitialSchema1795439966285';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE \`authorization_codes\` (
                \`digest\` varchar(64) NOT NULL,
                \`client_id\` varchar(64) NOT NULL,
                \`username\` varchar(100) NOT NULL,
                \`redirect_uri\` varchar(2000) NOT NULL,
                \`redirect_uri_sent\` tinyint NOT NULL DEFAULT 0,
                \`scope\` varchar(2000) NOT NULL,
                \`code_challenge\` varchar(128) NULL,
                \`family_id\` varchar(32) NOT NULL,
                \`user_authenticated_at\` datetime(3) NOT NULL,
                \`created_at\` datetime(3) NOT NULL,
                \`expires_at\` datetime(3) NOT NULL,
                \`redeemed_at\` datetime(3) NULL,
                INDEX \`IDX_authorization_codes_expires\` (\`expires_at\`),
                PRIMARY KEY (\`digest\`)
            ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
        `);
    await queryRunner.query(`
            CREATE TABLE \`clients\` (
                \`id\` varchar(64) NOT NULL,
                \`name\` varchar(100) NOT NULL,
                \`type\` varchar(16) NOT NULL,
                \`secret_digest\` varchar(64) NULL,
                \`is_super\` tinyint NOT NULL DEFAULT 0,
                \`is_admin\` tinyint NOT NULL DEFAULT 0,
                \`description\` varchar(1000) NULL,
                \`url\` varchar(2000) NULL,
                \`redirect_uri\` varchar(2000) NULL,
                \`refresh_token_expiry\` int NULL,
                \`registered_by\` varchar(100) NULL,
                \`registration_date\` datetime(3) NOT NULL,
                INDEX \`IDX_clients_registered_by\` (\`registered_by\`),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
        `);
    await queryRunner.query(`
            CREATE TABLE \`tokens\` (
                \`handle\` varchar(32) NOT NULL,
                \`digest\` varchar(64) NOT NULL,
                \`type\` varchar(16) NOT NULL,
                \`username\` varchar(100) NULL,
                \`client_id\` varchar(64) NOT NULL,
                \`scope\` varchar(2000) NOT NULL,
                \`family_id\` varchar(32) NOT NULL,
                \`refresh_token_handle\` varchar(32) NULL,
                \`created_at\` datetime(3) NOT NULL,
                \`expires_at\` datetime(3) NOT NULL,
                \`user_authenticated_at\` datetime(3) NULL,
                \`revoked_at\` datetime(3) NULL,
                \`rotated\` tinyint NOT NULL DEFAULT 0,
                UNIQUE INDEX \`UQ_tokens_digest\` (\`digest\`),
                INDEX \`IDX_tokens_refresh\` (\`refresh_token_handle\`),
                INDEX \`IDX_tokens_family\` (\`family_id\`),
                INDEX \`IDX_tokens_client\` (\`client_id\`),
                INDEX \`IDX_tokens_list\` (\`username\`, \`type\`, \`expires_at\`, \`client_id\`),
                PRIMARY KEY (\`handle\`)
            ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
        `);
    await queryRunner.query(`
            CREATE TABLE \`users\` (
                \`id\` int NOT NULL AUTO_INCREMENT,
                \`username\` varchar(100) NOT NULL,
                \`password_hash\` varchar(255) NOT NULL,
                \`created_at\` datetime(3) NOT NULL,
                UNIQUE INDEX \`UQ_users_username\` (\`username\`),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX \`UQ_users_username\` ON \`users\`
        `);
    await queryRunner.query(`
            DROP TABLE \`users\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_tokens_list\` ON \`tokens\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_tokens_client\` ON \`tokens\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_tokens_family\` ON \`tokens\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_tokens_refresh\` ON \`tokens\`
        `);
    await queryRunner.query(`
            DROP INDEX \`UQ_tokens_digest\` ON \`tokens\`
        `);
    await queryRunner.query(`
            DROP TABLE \`tokens\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_clients_registered_by\` ON \`clients\`
        `);
    await queryRunner.query(`
            DROP TABLE \`clients\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_authorization_codes_expires\` ON \`authorization_codes\`
        `);
    await queryRunner.query(`
            DROP TABLE \`authorization_codes\`
        `);
  }
}
