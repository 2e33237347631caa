import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Adds clients.may_introspect, the resource-server flag. Written by hand: SQLite adds a column
 * with a default in place, where the generated migration would copy the whole client table.
 */
export class ClientMayIntrospect1796192010862 implements MigrationInterface {
  name = 'ClientMayIntrospect1796192010862';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "clients" ADD COLUMN "may_introspect" boolean NOT NULL DEFAULT (0)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "clients" DROP COLUMN "may_introspect"`);
  }
}
