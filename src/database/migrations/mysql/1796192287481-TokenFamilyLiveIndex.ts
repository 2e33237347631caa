import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * IDX_tokens_family takes revoked_at and expires_at: the purge asks, for every kept rotated
 * refresh token, whether its family still has a live token, and a grant refreshed often has
 * many rotated rows; the wider index answers from the index alone instead of reading every
 * row of the family.
 */
export class TokenFamilyLiveIndex1796192287481 implements MigrationInterface {
  name = 'TokenFamilyLiveIndex1796192287481';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX \`IDX_tokens_family\` ON \`tokens\`
        `);
    await queryRunner.query(`
            CREATE INDEX \`IDX_tokens_family\` ON \`tokens\` (\`family_id\`, \`revoked_at\`, \`expires_at\`)
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX \`IDX_tokens_family\` ON \`tokens\`
        `);
    await queryRunner.query(`
            CREATE INDEX \`IDX_tokens_family\` ON \`tokens\` (\`family_id\`)
        `);
  }
}
