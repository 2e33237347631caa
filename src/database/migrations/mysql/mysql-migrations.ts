import { InitialSchema1795439966285 } from './1795439966285-InitialSchema';

/** Every migration of the mysql schema, oldest first. */
export const MYSQL_MIGRATIONS = [InitialSchema1795439966285];
