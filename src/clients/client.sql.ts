import { selectList } from '../database/sql-text';

/** Every column of `clients`, as ClientRepository's raw statements select them. */
export const CLIENT_COLUMNS = [
  'id',
  'name',
  'type',
  'secret_digest',
  'is_super',
  'is_admin',
  'may_introspect',
  'plugin_permitted',
  'description',
  'url',
  'redirect_uri',
  'refresh_token_expiry',
  'registered_by_user_id',
  'registered_by',
  'registration_date',
  'source',
] as const;

/** The alias of `clients` in every statement here and in joins: row keys are `c_<column>`. */
export const CLIENT_ALIAS = 'c';

/** ClientRepository.findById: every client authentication. */
export const CLIENT_BY_ID =
  `SELECT ${selectList(CLIENT_ALIAS, CLIENT_COLUMNS)} FROM \`clients\` \`c\` ` +
  'WHERE `c`.`id` = ?';
