import { InitialSchema1795439964894 } from './1795439964894-InitialSchema';
import { TokenLastUsedAt1795441287280 } from './1795441287280-TokenLastUsedAt';
import { ClientMayIntrospect1796192010862 } from './1796192010862-ClientMayIntrospect';
import { TokenFamilyLiveIndex1796192285089 } from './1796192285089-TokenFamilyLiveIndex';
import { UserIds1796192293000 } from './1796192293000-UserIds';
import { ClientNameSource1796196216709 } from './1796196216709-ClientNameSource';
import { CodeRevealToClient1796196268730 } from './1796196268730-CodeRevealToClient';
import { DirectoryUsers1796197496622 } from './1796197496622-DirectoryUsers';
import { PluginMarketplace1796206596191 } from './1796206596191-PluginMarketplace';

/** Every migration of the sqlite schema, oldest first. */
export const SQLITE_MIGRATIONS = [
  InitialSchema1795439964894,
  TokenLastUsedAt1795441287280,
  ClientMayIntrospect1796192010862,
  TokenFamilyLiveIndex1796192285089,
  UserIds1796192293000,
  ClientNameSource1796196216709,
  CodeRevealToClient1796196268730,
  DirectoryUsers1796197496622,
  PluginMarketplace1796206596191,
];
