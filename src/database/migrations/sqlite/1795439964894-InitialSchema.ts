import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795439964894 implements MigrationInterface {
  name = 'InitialSchema1795439964894';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "authorization_codes" (
                "digest" varchar(64) PRIMARY KEY NOT NULL,
                "client_id" varchar(64) NOT NULL,
                "username" varchar(100) NOT NULL,
                "redirect_uri" varchar(2000) NOT NULL,
                "redirect_uri_sent" boolean NOT NULL DEFAULT (0),
                "scope" varchar(2000) NOT NULL,
                "code_challenge" varchar(128),
                "family_id" varchar(32) NOT NULL,
                "user_authenticated_at" datetime(3) NOT NULL,
                "created_at" datetime(3) NOT NULL,
                "expires_at" datetime(3) NOT NULL,
                "redeemed_at" datetime(3)
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_authorization_codes_expires" ON "authorization_codes" ("expires_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "clients" (
                "id" varchar(64) PRIMARY KEY NOT NULL,
                "name" varchar(100) NOT NULL,
                "type" varchar(16) NOT NULL,
                "secret_digest" varchar(64),
                "is_super" boolean NOT NULL DEFAULT (0),
                "is_admin" boolean NOT NULL DEFAULT (0),
                "description" varchar(1000),
                "url" varchar(2000),
                "redirect_uri" varchar(2000),
                "refresh_token_expiry" integer,
                "registered_by" varchar(100),
                "registration_date" datetime(3) NOT NULL
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_clients_registered_by" ON "clients" ("registered_by")
        `);
    await queryRunner.query(`
            CREATE TABLE "tokens" (
                "handle" varchar(32) PRIMARY KEY NOT NULL,
                "digest" varchar(64) NOT NULL,
                "type" varchar(16) NOT NULL,
                "username" varchar(100),
                "client_id" varchar(64) NOT NULL,
                "scope" varchar(2000) NOT NULL,
                "family_id" varchar(32) NOT NULL,
                "refresh_token_handle" varchar(32),
                "created_at" datetime(3) NOT NULL,
                "expires_at" datetime(3) NOT NULL,
                "user_authenticated_at" datetime(3),
                "revoked_at" datetime(3),
                "rotated" boolean NOT NULL DEFAULT (0)
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_tokens_digest" ON "tokens" ("digest")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_tokens_refresh" ON "tokens" ("refresh_token_handle")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_tokens_family" ON "tokens" ("family_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_tokens_client" ON "tokens" ("client_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_tokens_list" ON "tokens" ("username", "type", "expires_at", "client_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "users" (
                "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
                "username" varchar(100) NOT NULL,
                "password_hash" varchar(255) NOT NULL,
                "created_at" datetime(3) NOT NULL
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_users_username" ON "users" ("username")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "UQ_users_username"
        `);
    await queryRunner.query(`
            DROP TABLE "users"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_tokens_list"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_tokens_client"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_tokens_family"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_tokens_refresh"
        `);
    await queryRunner.query(`
            DROP INDEX "UQ_tokens_digest"
        `);
    await queryRunner.query(`
            DROP TABLE "tokens"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_clients_registered_by"
        `);
    await queryRunner.query(`
            DROP TABLE "clients"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_authorization_codes_expires"
        `);
    await queryRunner.query(`
            DROP TABLE "authorization_codes"
        `);
  }
}
