import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Binds tokens, authorization codes and clients to `users.id` (never reused) instead of the
 * username, carrying existing rows over. A row belongs to the user who now has its name only
 * if that user already existed when the row was made (the user authenticated, the client was
 * registered); otherwise it came from an earlier, removed user of that name: such a token is
 * revoked, such a code deleted, and such a client left without an owner (NULL).
 *
 * Written by hand: SQLite adds the nullable columns of `tokens` and `clients` in place, where
 * the generated migration would copy both tables. `authorization_codes` (short-lived rows) is
 * copied, since SQLite cannot add a NOT NULL column without a default.
 */
export class UserIds1796192293000 implements MigrationInterface {
  name = 'UserIds1796192293000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tokens" ADD COLUMN "user_id" integer`);
    await queryRunner.query(`
            UPDATE "tokens" SET "user_id" = (
                SELECT "u"."id" FROM "users" "u"
                WHERE "u"."username" = "tokens"."username"
                AND "u"."created_at" <= COALESCE("tokens"."user_authenticated_at", "tokens"."created_at")
            )
            WHERE "username" IS NOT NULL
        `);
    await queryRunner.query(`
            UPDATE "tokens" SET "revoked_at" = strftime('%Y-%m-%d %H:%M:%f', 'now')
            WHERE "username" IS NOT NULL AND "user_id" IS NULL AND "revoked_at" IS NULL
        `);
    await queryRunner.query(`DROP INDEX "IDX_tokens_list"`);
    await queryRunner.query(`
            CREATE INDEX "IDX_tokens_list" ON "tokens" ("user_id", "type", "expires_at", "client_id")
        `);

    await queryRunner.query(`ALTER TABLE "clients" ADD COLUMN "registered_by_user_id" integer`);
    await queryRunner.query(`
            UPDATE "clients" SET "registered_by_user_id" = (
                SELECT "u"."id" FROM "users" "u"
                WHERE "u"."username" = "clients"."registered_by"
                AND "u"."created_at" <= "clients"."registration_date"
            )
            WHERE "registered_by" IS NOT NULL
        `);
    await queryRunner.query(`DROP INDEX "IDX_clients_registered_by"`);
    await queryRunner.query(`
            CREATE INDEX "IDX_clients_registered_by_user_id" ON "clients" ("registered_by_user_id")
        `);

    await queryRunner.query(`DROP INDEX "IDX_authorization_codes_expires"`);
    await queryRunner.query(`
            CREATE TABLE "temporary_authorization_codes" (
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
                "redeemed_at" datetime(3),
                "user_id" integer NOT NULL
            )
        `);
    // A code whose user is gone is left behind: it can no longer be redeemed.
    await queryRunner.query(`
            INSERT INTO "temporary_authorization_codes" (
                "digest", "client_id", "username", "redirect_uri", "redirect_uri_sent", "scope",
                "code_challenge", "family_id", "user_authenticated_at", "created_at",
                "expires_at", "redeemed_at", "user_id"
            )
            SELECT "c"."digest", "c"."client_id", "c"."username", "c"."redirect_uri",
                "c"."redirect_uri_sent", "c"."scope", "c"."code_challenge", "c"."family_id",
                "c"."user_authenticated_at", "c"."created_at", "c"."expires_at",
                "c"."redeemed_at", "u"."id"
            FROM "authorization_codes" "c"
            JOIN "users" "u" ON "u"."username" = "c"."username"
                AND "u"."created_at" <= "c"."user_authenticated_at"
        `);
    await queryRunner.query(`DROP TABLE "authorization_codes"`);
    await queryRunner.query(
      `ALTER TABLE "temporary_authorization_codes" RENAME TO "authorization_codes"`,
    );
    await queryRunner.query(`
            CREATE INDEX "IDX_authorization_codes_expires" ON "authorization_codes" ("expires_at")
        `);
  }

  /** Ownership goes back to names; revoked tokens and deleted codes stay so. */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "authorization_codes" DROP COLUMN "user_id"`);
    await queryRunner.query(`DROP INDEX "IDX_clients_registered_by_user_id"`);
    await queryRunner.query(`ALTER TABLE "clients" DROP COLUMN "registered_by_user_id"`);
    await queryRunner.query(`
            CREATE INDEX "IDX_clients_registered_by" ON "clients" ("registered_by")
        `);
    await queryRunner.query(`DROP INDEX "IDX_tokens_list"`);
    await queryRunner.query(`ALTER TABLE "tokens" DROP COLUMN "user_id"`);
    await queryRunner.query(`
            CREATE INDEX "IDX_tokens_list" ON "tokens" ("username", "type", "expires_at", "client_id")
        `);
  }
}
