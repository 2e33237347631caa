import { MigrationInterface, QueryRunner } from 'typeorm';

export class ClientMayIntrospect1796192012664 implements MigrationInterface {
  name = 'ClientMayIntrospect1796192012664';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE \`clients\`
            ADD \`may_introspect\` tinyint NOT NULL DEFAULT 0
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE \`clients\` DROP COLUMN \`may_introspect\`
        `);
  }
}
