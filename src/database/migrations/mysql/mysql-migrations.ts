import { InitialSchema1795439966285 } from './1795439966285-InitialSchema';
import { TokenLastUsedAt1795441290671 } from './1795441290671-TokenLastUsedAt';
import { UserIds1796192293567 } from './1796192293567-UserIds';

/** Every migration of the mysql schema, oldest first. */
export const MYSQL_MIGRATIONS = [
  InitialSchema1795439966285,
  TokenLastUsedAt1795441290671,
  UserIds1796192293567,
];
