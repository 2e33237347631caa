import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { FilterParser } from 'ldapts';

/**
 * tokenvakt's configuration: read from the environment once at start-up, validated, and then
 * passed around as a plain immutable object (README: Configuration). A bad value stops start-up with one
 * line that names the variable.
 */

/** The database when DATABASE_URL is not set. */
export const DEFAULT_SQLITE_PATH = './data/tokenvakt.sqlite';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Which clients must use PKCE S256 at /oauth2/authorize (README: Choices where the spec is silent). */
export type PkceRequired = 'public' | 'all' | 'none';

export type DatabaseConfig =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'mysql'; readonly url: string };

export interface AppConfig {
  readonly database: DatabaseConfig;
  readonly host: string;
  readonly port: number;
  /** The public base URL clients reach tokenvakt at (RFC 8414 `issuer`). */
  readonly issuer: string;
  /** Access tokens issued together with a refresh token (seconds). */
  readonly accessTokenTtl: number;
  /** Access tokens for public clients, which get no refresh token (seconds). */
  readonly publicAccessTokenTtl: number;
  /** Default refresh token lifetime when a client sets none (seconds). */
  readonly refreshTokenTtl: number;
  /**
   * How long after a rotation the same client may present the rotated refresh token again and
   * get a new pair of the same grant instead of having the grant revoked (seconds; 0: never).
   */
  readonly refreshTokenReuseGrace: number;
  readonly authorizationCodeTtl: number;
  /** Known scope names; `all` is always known and reserved for super clients. */
  readonly scopes: readonly string[];
  readonly logLevel: LogLevel;
  readonly migrationsRun: boolean;
  /** Seconds between scheduled purges of expired and revoked rows; 0 turns them off. */
  readonly purgeInterval: number;
  /** Rows deleted per statement by a purge, so no purge holds the token table for long. */
  readonly purgeBatchSize: number;
  /** Failed credential checks per source and identity before 429; 0 turns throttling off. */
  readonly rateLimitMaxFailures: number;
  /** The window those failures are counted in (seconds). */
  readonly rateLimitWindow: number;
  /**
   * The Redis all instances share (failure counts, personal tokens waiting to be revealed);
   * in memory when absent.
   */
  readonly redisUrl: string | undefined;
  readonly pkceRequired: PkceRequired;
  /** How long after issuance a personal token can be revealed, once, in the token list (seconds). */
  readonly personalTokenRevealWindow: number;
  /** How long start-up waits for an unreachable database before giving up (seconds). */
  readonly databaseConnectTimeout: number;
  /**
   * How long one MySQL/MariaDB query may take before its connection is dropped and the request
   * answers 503 (seconds; 0: no limit). A stalled database must not hang requests forever.
   */
  readonly databaseQueryTimeout: number;
  /**
   * The longest a request may take before it is answered 503 (seconds): the bound that also
   * covers waiting for a pooled connection while the database stalls.
   */
  readonly requestTimeout: number;
  /** When set, GET /metrics needs `Authorization: Bearer <this>`. */
  readonly metricsToken: string | undefined;
  /** Whether the OpenAPI description is served at /docs and /docs-json. */
  readonly docsEnabled: boolean;
  /** Password checks (scrypt) run at once; the rest wait in a bounded, fair queue. */
  readonly passwordCheckConcurrency: number;
  /** Password checks that may wait; past that, 503 at once. */
  readonly passwordCheckQueue: number;
  /**
   * Addresses and CIDR ranges of front ends whose X-Forwarded-For is believed (Fastify's
   * trustProxy); empty: none, the TCP peer is the client.
   */
  readonly trustProxy: readonly string[];
  /** Where users and their passwords live: tokenvakt's own table, or an LDAP directory. */
  readonly userStore: 'local' | 'ldap';
  /** The directory, when `userStore` is `ldap` (README: Users in LDAP). */
  readonly ldap: LdapConfig | undefined;
}

export interface LdapConfig {
  /** `ldap://` or `ldaps://` servers (scheme, host, port), tried in this order. */
  readonly urls: readonly string[];
  /** Upgrade `ldap://` connections with StartTLS (RFC 4511 §4.14) before anything is sent. */
  readonly startTls: boolean;
  /** PEM certificates to trust instead of Node's bundled CAs (LDAP_CA_FILE's content). */
  readonly ca: string | undefined;
  /** The service account that searches for users. */
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly searchBase: string;
  /** An RFC 4515 filter in which `{login}` stands for the escaped login. */
  readonly searchFilter: string;
  /** The attribute whose value is the username tokens are issued to. */
  readonly usernameAttribute: string;
  /** How long one step against a server may take (seconds). */
  readonly timeout: number;
  /** Service-bound connections kept open; as many checks run at once. */
  readonly poolSize: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** The scope names of KorAP's Kustvakt (OAuth2Scope), lower-cased as Kustvakt sends them. */
export const KORAP_SCOPES: readonly string[] = [
  'search',
  'serialize_query',
  'match_info',
  'user_info',
  'client_info',
  'list_user_client',
  'register_client',
  'deregister_client',
  'reset_client_secret',
  'authorize',
  'admin',
  'create_vc',
  'vc_info',
  'edit_vc',
  'delete_vc',
  'share_vc',
  'vc_access_info',
  'delete_vc_access',
  'user_group_info',
  'create_user_group',
  'delete_user_group',
  'add_user_group_member',
  'delete_user_group_member',
  'create_default_setting',
  'read_default_setting',
  'delete_default_setting',
];

/** The scope only super clients may hold: everything the user can do. */
export const ALL_SCOPE = 'all';

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const MAX_DURATION_SECONDS = 100 * 365 * 86400;

/** Parses `30s`, `10m`, `1h`, `365d` into whole seconds. */
export function parseDuration(variable: string, raw: string): number {
  const match = /^(\d{1,10})([smhd])$/.exec(raw.trim());
  const amount = match ? Number(match[1]) : NaN;
  const unit = match?.[2];
  if (!match || unit === undefined || amount <= 0) {
    throw new ConfigError(
      variable,
      `expected a positive duration such as 30s, 10m, 1h or 365d, got "${raw}"`,
    );
  }
  const seconds = amount * (DURATION_UNITS[unit] ?? 1);
  if (seconds > MAX_DURATION_SECONDS) {
    throw new ConfigError(variable, `"${raw}" is longer than 100 years`);
  }
  return seconds;
}

export function parseDatabaseUrl(raw: string): DatabaseConfig {
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length);
    if (path === '') {
      throw new ConfigError('DATABASE_URL', 'sqlite: needs a file path or :memory:');
    }
    return { dialect: 'sqlite', path };
  }
  if (raw.startsWith('mysql://') || raw.startsWith('mariadb://')) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid mysql:// URL');
    }
    if (url.hostname === '' || url.pathname.length < 2) {
      throw new ConfigError('DATABASE_URL', 'a mysql:// URL needs a host and a database name');
    }
    url.protocol = 'mysql:';
    return { dialect: 'mysql', url: url.toString() };
  }
  throw new ConfigError(
    'DATABASE_URL',
    'expected sqlite:<path>, sqlite::memory: or mysql://user:pass@host:port/db',
  );
}

/**
 * DATABASE_HOST, DATABASE_PORT, DATABASE_USER, DATABASE_PASSWORD and DATABASE_NAME, as an
 * alternative to DATABASE_URL (a MySQL/MariaDB server): each part is percent-encoded into the
 * URL, so a password may hold `@ : / % #`. One way or the other, never both.
 */
function databaseFromEnvironment(env: Environment): DatabaseConfig {
  const parts = ['HOST', 'PORT', 'USER', 'PASSWORD', 'NAME'] as const;
  const given = parts.filter((part) => (env[`DATABASE_${part}`] ?? '') !== '');
  const url = env.DATABASE_URL ?? '';
  if (given.length === 0) return parseDatabaseUrl(url || `sqlite:${DEFAULT_SQLITE_PATH}`);
  if (url !== '') {
    throw new ConfigError(
      'DATABASE_URL',
      `give either DATABASE_URL or DATABASE_HOST/PORT/USER/PASSWORD/NAME, not both (DATABASE_${given[0]} is set too)`,
    );
  }
  for (const required of ['HOST', 'USER', 'NAME'] as const) {
    if (!given.includes(required)) {
      throw new ConfigError(`DATABASE_${required}`, 'is required with the other DATABASE_ parts');
    }
  }
  const port = env.DATABASE_PORT ? parsePort(env.DATABASE_PORT, 'DATABASE_PORT') : 3306;
  const host = env.DATABASE_HOST ?? '';
  if (!isHostName(host)) {
    throw new ConfigError('DATABASE_HOST', `expected a host name or IP address, got "${host}"`);
  }
  const credentials =
    encodeURIComponent(env.DATABASE_USER ?? '') +
    (env.DATABASE_PASSWORD ? `:${encodeURIComponent(env.DATABASE_PASSWORD)}` : '');
  const hostPart = isIP(host) === 6 ? `[${host}]` : host;
  return parseDatabaseUrl(
    `mysql://${credentials}@${hostPart}:${port}/${encodeURIComponent(env.DATABASE_NAME ?? '')}`,
  );
}

/** An IP address, or a DNS name (a dotted run of digits is an address, so it must be valid). */
function isHostName(host: string): boolean {
  if (isIP(host) !== 0) return true;
  return (
    /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(
      host,
    ) && !/^[\d.]+$/.test(host)
  );
}

function parseHost(raw: string): string {
  if (!isHostName(raw)) {
    throw new ConfigError('HOST', `expected an IP address or host name to listen on, got "${raw}"`);
  }
  return raw;
}

/** Addresses that mean "every interface": no client can reach tokenvakt by that name. */
function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '0:0:0:0:0:0:0:0';
}

function parsePort(raw: string, variable = 'PORT'): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new ConfigError(variable, `expected a port number 0..65535, got "${raw}"`);
  }
  return port;
}

function parseScopes(raw: string): string[] {
  const scopes = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = scopes.find((s) => !/^[a-z][a-z0-9_:.-]{0,63}$/.test(s));
  if (scopes.length === 0 || bad !== undefined) {
    throw new ConfigError(
      'SCOPES',
      `expected comma-separated scope names (lower-case letters, digits, _ : . -)${bad ? `, got "${bad}"` : ''}`,
    );
  }
  return [...new Set(scopes.filter((s) => s !== ALL_SCOPE))].sort();
}

/** An http(s) URL without query or fragment; the trailing slash is dropped (RFC 8414 §2). */
function parseIssuer(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new ConfigError(
      'ISSUER',
      `expected an http(s) URL without query or fragment, got "${raw}"`,
    );
  }
  return url.toString().replace(/\/$/, '');
}

function parseLogLevel(raw: string): LogLevel {
  if (raw === 'error' || raw === 'warn' || raw === 'info' || raw === 'debug') return raw;
  throw new ConfigError('LOG_LEVEL', `expected error, warn, info or debug, got "${raw}"`);
}

function parseInteger(variable: string, raw: string, min: number, max: number): number {
  const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) {
    throw new ConfigError(variable, `expected a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

function parseRedisUrl(variable: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^rediss?:\/\/[^/\s]+/.test(raw)) {
    throw new ConfigError(variable, 'expected redis://host:port or rediss://host:port');
  }
  return raw;
}

/** A bearer token for /metrics: at least 16 characters a header can carry. */
function parseMetricsToken(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^[A-Za-z0-9._~+/=-]{16,256}$/.test(raw)) {
    throw new ConfigError(
      'METRICS_TOKEN',
      'expected 16 to 256 characters of letters, digits or . _ ~ + / = -',
    );
  }
  return raw;
}

/** Comma-separated IPv4/IPv6 addresses and CIDR ranges (`10.0.0.0/8`, `fd00::/8`). */
function parseTrustProxy(raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const version = isIP(address);
    const maxPrefix = version === 4 ? 32 : 128;
    const prefixOk =
      prefix === undefined ||
      (/^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= maxPrefix);
    if (version === 0 || !prefixOk || rest.length > 0) {
      throw new ConfigError(
        'TRUST_PROXY',
        `expected comma-separated IP addresses or CIDR ranges such as 10.0.0.0/8, got "${entry}"`,
      );
    }
  }
  return entries;
}

/** REDIS_URL, or its older name RATE_LIMIT_REDIS_URL; both may be set only to the same URL. */
function parseSharedRedisUrl(env: Environment): string | undefined {
  const redisUrl = parseRedisUrl('REDIS_URL', env.REDIS_URL);
  const olderName = parseRedisUrl('RATE_LIMIT_REDIS_URL', env.RATE_LIMIT_REDIS_URL);
  if (redisUrl !== undefined && olderName !== undefined && redisUrl !== olderName) {
    throw new ConfigError(
      'RATE_LIMIT_REDIS_URL',
      'is the older name of REDIS_URL and names another Redis; set REDIS_URL only',
    );
  }
  return redisUrl ?? olderName;
}

function parsePkceRequired(raw: string): PkceRequired {
  if (raw === 'public' || raw === 'all' || raw === 'none') return raw;
  throw new ConfigError('PKCE_REQUIRED', `expected public, all or none, got "${raw}"`);
}

function parseBoolean(variable: string, raw: string): boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(variable, `expected true or false, got "${raw}"`);
}

/**
 * scrypt runs on libuv's thread pool (UV_THREADPOOL_SIZE, 4 by default), which DNS lookups and
 * file access need too: by default one check per CPU, leaving at least one pool thread free.
 */
function defaultPasswordCheckConcurrency(env: Environment): number {
  const poolSize = Number(env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.min(availableParallelism(), poolSize - 1));
}

export type Environment = Readonly<Record<string, string | undefined>>;

function parseUserStore(raw: string): 'local' | 'ldap' {
  if (raw === 'local' || raw === 'ldap') return raw;
  throw new ConfigError('USER_STORE', `expected local or ldap, got "${raw}"`);
}

/** LDAP_URL: one or more `ldap://host[:port]` or `ldaps://host[:port]`, comma- or space-separated. */
function parseLdapUrls(raw: string): string[] {
  const urls = raw.split(/[\s,]+/).filter((url) => url !== '');
  if (urls.length === 0) throw new ConfigError('LDAP_URL', 'is required with USER_STORE=ldap');
  return urls.map((text) => {
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') ||
      url.hostname === '' ||
      !['', '/'].includes(url.pathname) ||
      url.search !== '' ||
      url.hash !== '' ||
      url.username !== ''
    ) {
      throw new ConfigError(
        'LDAP_URL',
        `expected ldap://host[:port] or ldaps://host[:port], got "${text}"`,
      );
    }
    return `${url.protocol}//${url.host}`;
  });
}

/** The content of a file a setting names; a file that cannot be read stops start-up. */
function readSettingFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigError(variable, `cannot read "${path}" (${reason})`);
  }
}

/** The LDAP settings (README: Users in LDAP), read only when USER_STORE=ldap. */
function parseLdap(value: (name: string, fallback: string) => string): LdapConfig {
  const required = (name: string, raw: string): string => {
    if (raw.trim() === '') throw new ConfigError(name, 'is required with USER_STORE=ldap');
    return raw;
  };
  const urls = parseLdapUrls(value('LDAP_URL', ''));
  const startTls = parseBoolean('LDAP_START_TLS', value('LDAP_START_TLS', 'false'));
  if (startTls && urls.some((url) => url.startsWith('ldaps:'))) {
    throw new ConfigError(
      'LDAP_START_TLS',
      'StartTLS is for ldap:// URLs; ldaps:// connections are TLS from the start',
    );
  }
  const caFile = value('LDAP_CA_FILE', '');
  const ca = caFile === '' ? undefined : readSettingFile('LDAP_CA_FILE', caFile);
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError('LDAP_CA_FILE', `"${caFile}" holds no PEM certificate`);
  }
  const passwordFile = value('LDAP_BIND_PASSWORD_FILE', '');
  if (passwordFile !== '' && value('LDAP_BIND_PASSWORD', '') !== '') {
    throw new ConfigError(
      'LDAP_BIND_PASSWORD',
      'give either LDAP_BIND_PASSWORD or LDAP_BIND_PASSWORD_FILE, not both',
    );
  }
  // A file's last line break is not part of the password (`echo secret > file`).
  const bindPassword =
    passwordFile === ''
      ? required('LDAP_BIND_PASSWORD', value('LDAP_BIND_PASSWORD', ''))
      : readSettingFile('LDAP_BIND_PASSWORD_FILE', passwordFile).replace(/\r?\n$/, '');
  if (bindPassword === '') {
    // An empty password would make the service bind an unauthenticated one (RFC 4513 §5.1.2).
    throw new ConfigError('LDAP_BIND_PASSWORD_FILE', `"${passwordFile}" is empty`);
  }
  const searchFilter = value('LDAP_SEARCH_FILTER', '(uid={login})');
  if (searchFilter.includes('${')) {
    // A filter copied from Kustvakt's ldap.conf: its ${login} is {login} here, and its
    // (userPassword=${password}) has no place, since the password is checked by a bind.
    throw new ConfigError(
      'LDAP_SEARCH_FILTER',
      'write {login}, not ${login}, and leave the password out of the filter: tokenvakt checks it by binding as the entry found',
    );
  }
  if (!searchFilter.includes('{login}') || !isLdapFilter(searchFilter.replaceAll('{login}', 'x'))) {
    throw new ConfigError(
      'LDAP_SEARCH_FILTER',
      `expected an LDAP filter in parentheses containing {login}, e.g. (uid={login}), got "${searchFilter}"`,
    );
  }
  const usernameAttribute = value('LDAP_USERNAME_ATTRIBUTE', 'uid');
  if (!/^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/.test(usernameAttribute)) {
    throw new ConfigError(
      'LDAP_USERNAME_ATTRIBUTE',
      `expected an attribute name such as uid, got "${usernameAttribute}"`,
    );
  }
  return {
    urls,
    startTls,
    ca,
    bindDn: required('LDAP_BIND_DN', value('LDAP_BIND_DN', '')),
    bindPassword,
    searchBase: required('LDAP_SEARCH_BASE', value('LDAP_SEARCH_BASE', '')),
    searchFilter,
    usernameAttribute,
    timeout: parseDuration('LDAP_TIMEOUT', value('LDAP_TIMEOUT', '5s')),
    poolSize: parseInteger('LDAP_POOL_SIZE', value('LDAP_POOL_SIZE', '4'), 1, 256),
  };
}

function isLdapFilter(filter: string): boolean {
  // One parenthesised filter (in a filter's string form every parenthesis is structure; a
  // value escapes its own, RFC 4515 §3), which ldapts can parse.
  let depth = 0;
  for (let index = 0; index < filter.length; index++) {
    if (filter[index] === '(') depth += 1;
    if (filter[index] === ')') depth -= 1;
    if (depth < 0 || (depth === 0 && index < filter.length - 1)) return false;
  }
  if (depth !== 0 || !filter.startsWith('(')) return false;
  try {
    FilterParser.parseString(filter);
    return true;
  } catch {
    return false;
  }
}

/** Builds the configuration from environment variables; throws ConfigError on the first bad one. */
export function loadConfig(env: Environment): AppConfig {
  const value = (name: string, fallback: string): string => {
    const raw = env[name];
    return raw === undefined || raw === '' ? fallback : raw;
  };
  const host = parseHost(value('HOST', '127.0.0.1'));
  const port = parsePort(value('PORT', '8089'));
  const userStore = parseUserStore(value('USER_STORE', 'local'));
  if (isWildcard(host) && !env.ISSUER) {
    // The metadata and every `iss` would name http://0.0.0.0:8089, which no client can reach.
    throw new ConfigError(
      'ISSUER',
      `HOST=${host} listens on every interface, so ISSUER must say the public URL clients use (e.g. https://auth.example.org)`,
    );
  }
  return {
    database: databaseFromEnvironment(env),
    host,
    port,
    issuer: parseIssuer(
      value('ISSUER', `http://${host.includes(':') ? `[${host}]` : host}:${port}`),
    ),
    accessTokenTtl: parseDuration('ACCESS_TOKEN_TTL', value('ACCESS_TOKEN_TTL', '1d')),
    publicAccessTokenTtl: parseDuration(
      'PUBLIC_ACCESS_TOKEN_TTL',
      value('PUBLIC_ACCESS_TOKEN_TTL', '365d'),
    ),
    refreshTokenTtl: parseDuration('REFRESH_TOKEN_TTL', value('REFRESH_TOKEN_TTL', '365d')),
    refreshTokenReuseGrace:
      value('REFRESH_TOKEN_REUSE_GRACE', '10s') === '0'
        ? 0
        : parseDuration('REFRESH_TOKEN_REUSE_GRACE', value('REFRESH_TOKEN_REUSE_GRACE', '10s')),
    authorizationCodeTtl: parseDuration(
      'AUTHORIZATION_CODE_TTL',
      value('AUTHORIZATION_CODE_TTL', '10m'),
    ),
    scopes: parseScopes(value('SCOPES', KORAP_SCOPES.join(','))),
    logLevel: parseLogLevel(value('LOG_LEVEL', 'info')),
    migrationsRun: parseBoolean('MIGRATIONS_RUN', value('MIGRATIONS_RUN', 'true')),
    purgeInterval:
      value('PURGE_INTERVAL', '1h') === '0'
        ? 0
        : parseDuration('PURGE_INTERVAL', value('PURGE_INTERVAL', '1h')),
    purgeBatchSize: parseInteger('PURGE_BATCH_SIZE', value('PURGE_BATCH_SIZE', '1000'), 1, 100_000),
    rateLimitMaxFailures: parseInteger(
      'RATE_LIMIT_MAX_FAILURES',
      value('RATE_LIMIT_MAX_FAILURES', '10'),
      0,
      1_000_000,
    ),
    rateLimitWindow: parseDuration('RATE_LIMIT_WINDOW', value('RATE_LIMIT_WINDOW', '5m')),
    redisUrl: parseSharedRedisUrl(env),
    pkceRequired: parsePkceRequired(value('PKCE_REQUIRED', 'public')),
    personalTokenRevealWindow: parseDuration(
      'PERSONAL_TOKEN_REVEAL_WINDOW',
      value('PERSONAL_TOKEN_REVEAL_WINDOW', '10m'),
    ),
    databaseConnectTimeout: parseDuration(
      'DATABASE_CONNECT_TIMEOUT',
      value('DATABASE_CONNECT_TIMEOUT', '30s'),
    ),
    databaseQueryTimeout:
      value('DATABASE_QUERY_TIMEOUT', '5s') === '0'
        ? 0
        : parseDuration('DATABASE_QUERY_TIMEOUT', value('DATABASE_QUERY_TIMEOUT', '5s')),
    requestTimeout: parseDuration('REQUEST_TIMEOUT', value('REQUEST_TIMEOUT', '10s')),
    metricsToken: parseMetricsToken(env.METRICS_TOKEN),
    docsEnabled: parseBoolean('DOCS_ENABLED', value('DOCS_ENABLED', 'true')),
    passwordCheckConcurrency: parseInteger(
      'PASSWORD_CHECK_CONCURRENCY',
      value('PASSWORD_CHECK_CONCURRENCY', String(defaultPasswordCheckConcurrency(env))),
      1,
      1024,
    ),
    passwordCheckQueue: parseInteger(
      'PASSWORD_CHECK_QUEUE',
      value('PASSWORD_CHECK_QUEUE', '32'),
      0,
      100_000,
    ),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    userStore,
    ldap: userStore === 'ldap' ? parseLdap(value) : undefined,
  };
}

/** Nest injection token for the AppConfig object. */
export const APP_CONFIG = Symbol('APP_CONFIG');
