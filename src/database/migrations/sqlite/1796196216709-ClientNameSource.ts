import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Widens clients.name from 100 to 255 characters (Kalamar's limit) and adds clients.source,
 * the JSON text of a plugin description.
 *
 * Written by hand. `source` is added in place. SQLite cannot change a column's declared type,
 * so the table is rebuilt (https://www.sqlite.org/lang_altertable.html#otheralter) from its own
 * recorded CREATE TABLE statement with only the type of `name` changed, its rows copied with
 * `SELECT *` and its indexes recreated from their recorded statements. The generated migration
 * copies the columns it knew when it was generated, and so would drop a column another
 * migration added to `clients` before this one runs; this one keeps every column and row.
 * SQLite never enforced the length: only the declaration, which TypeORM compares with the
 * entity, changes.
 */
export class ClientNameSource1796196216709 implements MigrationInterface {
  name = 'ClientNameSource1796196216709';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "clients" ADD COLUMN "source" text`);
    await redeclareName(queryRunner, 'varchar(100)', 'varchar(255)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await redeclareName(queryRunner, 'varchar(255)', 'varchar(100)');
    await queryRunner.query(`ALTER TABLE "clients" DROP COLUMN "source"`);
  }
}

/** Rebuilds `clients` with `"name" <to> NOT NULL` in place of `"name" <from> NOT NULL`. */
async function redeclareName(queryRunner: QueryRunner, from: string, to: string): Promise<void> {
  const recorded = (type: 'table' | 'index') =>
    queryRunner.query(
      `SELECT "sql" FROM "sqlite_master" WHERE "type" = ? AND "tbl_name" = 'clients' AND "sql" IS NOT NULL`,
      [type],
    ) as Promise<Array<{ sql: string }>>;
  const [table] = await recorded('table');
  const indexes = await recorded('index');
  const column = `"name" ${from} NOT NULL`;
  if (!table?.sql.startsWith('CREATE TABLE "clients"') || !table.sql.includes(column)) {
    throw new Error(`clients is not declared as expected (${column}): ${table?.sql ?? 'missing'}`);
  }
  await queryRunner.query(
    table.sql
      .replace('CREATE TABLE "clients"', 'CREATE TABLE "temporary_clients"')
      .replace(column, `"name" ${to} NOT NULL`),
  );
  await queryRunner.query(`INSERT INTO "temporary_clients" SELECT * FROM "clients"`);
  await queryRunner.query(`DROP TABLE "clients"`);
  await queryRunner.query(`ALTER TABLE "temporary_clients" RENAME TO "clients"`);
  for (const index of indexes) await queryRunner.query(index.sql);
}
