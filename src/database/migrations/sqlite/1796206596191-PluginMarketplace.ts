import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Kalamar's plugin marketplace (README: Plugins): clients.plugin_permitted, the operator's
 * permission for a plugin, given to no one; and installed_plugins, empty. Written by hand for
 * the column: SQLite adds a column with a default in place, where the generated migration
 * would copy the whole client table.
 */
export class PluginMarketplace1796206596191 implements MigrationInterface {
  name = 'PluginMarketplace1796206596191';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "clients" ADD COLUMN "plugin_permitted" boolean NOT NULL DEFAULT (0)`,
    );
    await queryRunner.query(`
            CREATE TABLE "installed_plugins" (
                "user_id" integer NOT NULL,
                "super_client_id" varchar(64) NOT NULL,
                "client_id" varchar(64) NOT NULL,
                "installed_at" datetime(3) NOT NULL,
                PRIMARY KEY ("user_id", "super_client_id", "client_id")
            )
        `);
    await queryRunner.query(
      `CREATE INDEX "IDX_installed_plugins_super_client" ON "installed_plugins" ("super_client_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_installed_plugins_client" ON "installed_plugins" ("client_id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_installed_plugins_client"`);
    await queryRunner.query(`DROP INDEX "IDX_installed_plugins_super_client"`);
    await queryRunner.query(`DROP TABLE "installed_plugins"`);
    await queryRunner.query(`ALTER TABLE "clients" DROP COLUMN "plugin_permitted"`);
  }
}
