import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/**
 * The data source for the TypeORM CLI (`typeorm migration:generate -d dist/database/data-source.js`),
 * built from the same environment and options as the running service. The CLI cannot wait for
 * detectMysqlFlavour(), so it reads the flavour from MYSQL_FLAVOUR (mysql or mariadb).
 */
export default new DataSource(
  dataSourceOptions(
    loadConfig(process.env).database,
    process.env.MYSQL_FLAVOUR === 'mariadb' ? 'mariadb' : 'mysql',
  ),
);
