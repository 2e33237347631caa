import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Kalamar's plugin marketplace (README: Plugins): clients.plugin_permitted, the operator's
 * permission for a plugin, given to no one; and installed_plugins, empty.
 */
export class PluginMarketplace1796206621070 implements MigrationInterface {
  name = 'PluginMarketplace1796206621070';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE \`installed_plugins\` (
                \`user_id\` int NOT NULL,
                \`super_client_id\` varchar(64) NOT NULL,
                \`client_id\` varchar(64) NOT NULL,
                \`installed_at\` datetime(3) NOT NULL,
                INDEX \`IDX_installed_plugins_super_client\` (\`super_client_id\`),
                INDEX \`IDX_installed_plugins_client\` (\`client_id\`),
                PRIMARY KEY (\`user_id\`, \`super_client_id\`, \`client_id\`)
            ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
        `);
    await queryRunner.query(`
            ALTER TABLE \`clients\`
            ADD \`plugin_permitted\` tinyint NOT NULL DEFAULT 0
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE \`clients\` DROP COLUMN \`plugin_permitted\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_installed_plugins_client\` ON \`installed_plugins\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_installed_plugins_super_client\` ON \`installed_plugins\`
        `);
    await queryRunner.query(`
            DROP TABLE \`installed_plugins\`
        `);
  }
}
