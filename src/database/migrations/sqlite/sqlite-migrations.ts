import { InitialSchema1795439964894 } from './1795439964894-InitialSchema';

/** Every migration of the sqlite schema, oldest first. */
export const SQLITE_MIGRATIONS = [InitialSchema1795439964894];
