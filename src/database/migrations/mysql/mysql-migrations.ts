import { InitialSchema1795439966285 } from './1795439966285-InitialSchema';
import { TokenLastUsedAt1795441290671 } from './1795441290671-TokenLastUsedAt';
import { ClientMayIntrospect1796192012664 } from './1796192012664-ClientMayIntrospect';
import { TokenFamilyLiveIndex1796192287481 } from './1796192287481-TokenFamilyLiveIndex';
import { UserIds1796192293567 } from './1796192293567-UserIds';
import { ClientNameSource1796196230487 } from './1796196230487-ClientNameSource';
import { CodeRevealToClient1796196270292 } from './1796196270292-CodeRevealToClient';
import { DirectoryUsers1796197502609 } from './1796197502609-DirectoryUsers';
import { PluginMarketplace1796206621070 } from './1796206621070-PluginMarketplace';

/** Every migration of the mysql schema, oldest first. */
export const MYSQL_MIGRATIONS = [
  InitialSchema1795439966285,
  TokenLastUsedAt1795441290671,
  ClientMayIntrospect1796192012664,
  TokenFamilyLiveIndex1796192287481,
  UserIds1796192293567,
  ClientNameSource1796196230487,
  CodeRevealToClient1796196270292,
  DirectoryUsers1796197502609,
  PluginMarketplace1796206621070,
];
