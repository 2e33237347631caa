import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Widens clients.name from 100 to 255 characters (Kalamar's limit) and adds clients.source,
 * the JSON text of a plugin description. Written by hand: the generated migration drops and
 * re-adds `name`, losing every client's name; MODIFY keeps them (and widening a utf8mb4
 * varchar that already needs a two-byte length is done in place). `down` fails rather than
 * cut a name longer than 100 characters.
 */
export class ClientNameSource1796196230487 implements MigrationInterface {
  name = 'ClientNameSource1796196230487';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`clients\` MODIFY \`name\` varchar(255) NOT NULL`);
    await queryRunner.query(`ALTER TABLE \`clients\` ADD \`source\` text NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`clients\` DROP COLUMN \`source\``);
    await queryRunner.query(`ALTER TABLE \`clients\` MODIFY \`name\` varchar(100) NOT NULL`);
  }
}
