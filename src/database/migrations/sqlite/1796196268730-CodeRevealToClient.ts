import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Adds authorization_codes.reveal_to_client_id, the super client a personal token is revealed
 * to. Written by hand: SQLite adds a nullable column in place, where the generated migration
 * would copy the whole table.
 */
export class CodeRevealToClient1796196268730 implements MigrationInterface {
  name = 'CodeRevealToClient1796196268730';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "authorization_codes" ADD COLUMN "reveal_to_client_id" varchar(64)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "authorization_codes" DROP COLUMN "reveal_to_client_id"`);
  }
}
