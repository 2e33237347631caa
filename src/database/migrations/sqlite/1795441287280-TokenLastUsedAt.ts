import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Adds tokens.last_used_at. Written by hand: SQLite adds a nullable column in place, where
 * the generated migration would copy the whole token table.
 */
export class TokenLastUsedAt1795441287280 implements MigrationInterface {
  name = 'TokenLastUsedAt1795441287280';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tokens" ADD COLUMN "last_used_at" datetime(3)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tokens" DROP COLUMN "last_used_at"`);
  }
}
