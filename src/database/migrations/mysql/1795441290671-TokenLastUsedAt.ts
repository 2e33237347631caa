import { MigrationInterface, QueryRunner } from 'typeorm';

export class TokenLastUsedAt1795441290671 implements MigrationInterface {
  name = 'TokenLastUsedAt1795441290671';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE \`tokens\`
            ADD \`last_used_at\` datetime(3) NULL
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE \`tokens\` DROP COLUMN \`last_used_at\`
        `);
  }
}
