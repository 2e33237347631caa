import { MigrationInterface, QueryRunner } from 'typeorm';

export class CodeRevealToClient1796196270292 implements MigrationInterface {
  name = 'CodeRevealToClient1796196270292';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE \`authorization_codes\`
            ADD \`reveal_to_client_id\` varchar(64) NULL
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE \`authorization_codes\` DROP COLUMN \`reveal_to_client_id\`
        `);
  }
}
