/**
 * Seeds a fresh MariaDB/MySQL database for the benchmark (`npm run bench`, bench/run.ts).
 *
 * The schema comes from tokenvakt's own migrations (DataSource.runMigrations); the rows are
 * written with multi-row INSERTs. Every raw token is derived from a label with SHA-256, so
 * the runner can recompute any raw value or handle without the seed having to hand them over,
 * and the stored digests are what tokenvakt computes (digestSecret).
 *
 * Standalone: `node dist-bench/bench/seed.js` (same environment variables as run.ts).
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { createConnection, type Connection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { digestSecret } from '../src/auth/secrets';
import { dataSourceOptions } from '../src/database/data-source-options';
import { hashPassword } from '../src/users/password-hasher';
import { CLIENT_COLUMNS } from '../src/clients/client.sql';
import { TOKEN_COLUMNS } from './sql';

export interface SeedOptions {
  /** Server URL without a database, e.g. mysql://root@127.0.0.1:3306 */
  serverUrl: string;
  database: string;
  /** Bulk tokens, spread evenly over `users` users. */
  tokens: number;
  users: number;
  /** Live access tokens of the revoker user, per server under test. */
  revokePool: number;
  /** Live access tokens to introspect, per server under test. */
  introspectPool: number;
  log?: (line: string) => void;
}

/** The two servers under test get disjoint pools, so neither re-uses what the other wrote. */
export const TARGETS = ['tokenvakt', 'baseline'] as const;
export type Target = (typeof TARGETS)[number];

export interface SeedManifest {
  databaseUrl: string;
  superClient: { id: string; secret: string };
  /** Confidential, not super: client_credentials and introspection. */
  resourceServer: { id: string; secret: string };
  probe: {
    userId: number;
    username: string;
    password: string;
    /** Bearer: the probe user's session at the super client. */
    sessionToken: string;
    /** Live tokens of the probe user at third-party clients (access + refresh). */
    liveTokens: number;
    liveAccessTokens: number;
    liveRefreshTokens: number;
  };
  revoker: { userId: number; username: string; sessionToken: string };
  /** Handles of the revoker's live access tokens, per target. */
  revokeHandles: Record<Target, string[]>;
  /** Raw live access tokens to introspect, per target. */
  introspectTokens: Record<Target, string[]>;
  counts: { users: number; clients: number; tokens: number };
  seconds: number;
}

const NAMESPACE = 'tokenvakt-bench';
const THIRD_PARTY_CLIENTS = 50;
const ROWS_PER_INSERT = 4000;
const DAY_MS = 86_400_000;
const SCOPE = 'match_info search';

/** A deterministic base64url string for a label (stands in for tokenvakt's random values). */
function derive(label: string, length: number): string {
  return createHash('sha256').update(`${NAMESPACE}:${label}`).digest('base64url').slice(0, length);
}

/** The raw value of a seeded token: the same shape as generateSecret (prefix + 43 chars). */
export function rawToken(type: 'access_token' | 'refresh_token', label: string): string {
  return (type === 'access_token' ? 'tva_' : 'tvr_') + derive(`raw:${label}`, 43);
}

/**
 * A 22-character handle. The ordered prefix keeps primary-key inserts append-only, which
 * makes seeding a million rows fast; tokenvakt's own handles are random, which only matters
 * for inserts, not for the lookups measured here.
 */
function handleFor(sequence: number, label: string): string {
  return 'b' + sequence.toString(36).padStart(8, '0') + derive(`handle:${label}`, 13);
}

export function clientSecret(label: string): string {
  return 'tvs_' + derive(`secret:${label}`, 43);
}

export function thirdPartyClientId(index: number): string {
  return `bench-tp-${String(index).padStart(3, '0')}`;
}

export function bulkUsername(index: number): string {
  return `user${String(index).padStart(7, '0')}`;
}

/** Users are written with their ids: the probe, the revoker, then the bulk users. */
const PROBE_USER_ID = 1;
const REVOKER_USER_ID = 2;

function bulkUserId(index: number): number {
  return REVOKER_USER_ID + 1 + index;
}

/** A user as tokens and clients name them: the id owns, the name is recorded. */
interface SeedUser {
  id: number;
  username: string;
}

function bulkUser(index: number): SeedUser {
  return { id: bulkUserId(index), username: bulkUsername(index) };
}

type Row = unknown[];

interface TokenSpec {
  label: string;
  type: 'access_token' | 'refresh_token';
  user: SeedUser | null;
  clientId: string;
  familyId: string;
  refreshTokenHandle: string | null;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** Writes rows in multi-row INSERTs, ROWS_PER_INSERT at a time. */
class BatchWriter {
  private rows: Row[] = [];
  private sequence = 0;
  written = 0;

  constructor(
    private readonly connection: Connection,
    private readonly table: string,
    private readonly columns: readonly string[],
  ) {}

  /** The next value of a per-table counter (used for ordered handles). */
  next(): number {
    return this.sequence++;
  }

  async add(row: Row): Promise<void> {
    this.rows.push(row);
    if (this.rows.length >= ROWS_PER_INSERT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    const columns = this.columns.map((c) => `\`${c}\``).join(', ');
    await this.connection.query(`INSERT INTO \`${this.table}\` (${columns}) VALUES ?`, [rows]);
    this.written += rows.length;
  }
}

class TokenWriter extends BatchWriter {
  /** Adds a token and returns its handle. */
  async token(spec: TokenSpec): Promise<string> {
    const handle = handleFor(this.next(), spec.label);
    await this.add([
      handle,
      digestSecret(rawToken(spec.type, spec.label)),
      spec.type,
      spec.user?.id ?? null,
      spec.user?.username ?? null,
      spec.clientId,
      SCOPE,
      spec.familyId,
      spec.refreshTokenHandle,
      spec.createdAt,
      spec.expiresAt,
      spec.user === null ? null : spec.createdAt,
      spec.revokedAt,
      null, // last_used_at
      0, // rotated
    ]);
    return handle;
  }

  /** An access token issued together with a refresh token (one grant), as tokenvakt issues them. */
  async pair(
    label: string,
    user: SeedUser,
    clientId: string,
    createdAt: Date,
    state: 'live' | 'expired' | 'revoked',
  ): Promise<void> {
    const familyId = derive(`family:${label}`, 22);
    const now = Date.now();
    const expired = state === 'expired';
    const revokedAt = state === 'revoked' ? new Date(createdAt.getTime() + 60_000) : null;
    const refreshHandle = await this.token({
      label: `${label}:r`,
      type: 'refresh_token',
      user,
      clientId,
      familyId,
      refreshTokenHandle: null,
      createdAt,
      expiresAt: expired ? new Date(now - DAY_MS) : new Date(createdAt.getTime() + 365 * DAY_MS),
      revokedAt,
    });
    await this.token({
      label: `${label}:a`,
      type: 'access_token',
      user,
      clientId,
      familyId,
      refreshTokenHandle: refreshHandle,
      createdAt,
      // Live access tokens outlive any benchmark run: at least 12 hours left.
      expiresAt: expired
        ? new Date(now - 3_600_000)
        : new Date(Math.max(createdAt.getTime() + DAY_MS, now + DAY_MS / 2)),
      revokedAt,
    });
  }
}

export async function seed(options: SeedOptions): Promise<SeedManifest> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  if (!/^[A-Za-z0-9_]+$/.test(options.database)) {
    throw new Error(`database name must be [A-Za-z0-9_]+, got "${options.database}"`);
  }
  const databaseUrl = `${options.serverUrl.replace(/\/$/, '')}/${options.database}`;

  const admin = await createConnection({ uri: options.serverUrl });
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${options.database}\``);
    await admin.query(
      `CREATE DATABASE \`${options.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } finally {
    await admin.end();
  }

  const dataSource = new DataSource(
    dataSourceOptions({ dialect: 'mysql', url: databaseUrl }, 'mariadb'),
  );
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    log(`migrations: ${applied.map((m) => m.name).join(', ')}`);
  } finally {
    await dataSource.destroy();
  }

  const connection = await createConnection({ uri: databaseUrl, timezone: 'Z' });
  try {
    await connection.query('SET SESSION unique_checks = 0, foreign_key_checks = 0');
    return await fill(connection, options, databaseUrl, log, started);
  } finally {
    await connection.end();
  }
}

async function fill(
  connection: Connection,
  options: SeedOptions,
  databaseUrl: string,
  log: (line: string) => void,
  started: number,
): Promise<SeedManifest> {
  const now = Date.now();
  const registered = new Date(now - 400 * DAY_MS);

  // Clients: one super client, one resource server, THIRD_PARTY_CLIENTS third-party clients.
  const superClient = { id: 'bench-super-client', secret: clientSecret('super') };
  const resourceServer = { id: 'bench-resource-server', secret: clientSecret('rs') };
  const clients = new BatchWriter(connection, 'clients', CLIENT_COLUMNS);
  const client = (
    id: string,
    name: string,
    secret: string,
    isSuper: boolean,
    by: SeedUser | null,
  ) =>
    clients.add([
      id,
      name,
      'CONFIDENTIAL',
      digestSecret(secret),
      isSuper ? 1 : 0,
      0,
      id === resourceServer.id ? 1 : 0,
      0,
      `${name}: a client seeded for the benchmark`,
      `https://${id}.example/`,
      `https://${id}.example/callback`,
      null,
      by?.id ?? null,
      by?.username ?? null,
      registered,
      null,
    ]);
  await client(superClient.id, 'Bench super client', superClient.secret, true, null);
  await client(resourceServer.id, 'Bench resource server', resourceServer.secret, false, null);
  for (let i = 0; i < THIRD_PARTY_CLIENTS; i++) {
    const id = thirdPartyClientId(i);
    await client(id, `Third-party client ${i}`, clientSecret(id), false, bulkUser(i));
  }
  await clients.flush();

  // Users: bulk users without a usable password, the probe user with a real scrypt hash.
  const probe = {
    userId: PROBE_USER_ID,
    username: 'bench-probe',
    password: 'bench-probe-password',
  };
  const probeUser = { id: probe.userId, username: probe.username };
  const revoker = { id: REVOKER_USER_ID, username: 'bench-revoker' };
  const users = new BatchWriter(connection, 'users', [
    'id',
    'username',
    'password_hash',
    'created_at',
  ]);
  await users.add([probe.userId, probe.username, await hashPassword(probe.password), registered]);
  await users.add([revoker.id, revoker.username, 'scrypt$unusable', registered]);
  for (let u = 0; u < options.users; u++) {
    await users.add([bulkUserId(u), bulkUsername(u), 'scrypt$unusable', registered]);
  }
  await users.flush();
  log(`users: ${users.written}, clients: ${clients.written}`);

  const tokens = new TokenWriter(connection, 'tokens', TOKEN_COLUMNS);

  // Bulk: pairs (refresh + access) spread over the users; of ten grants one expired, one
  // revoked, eight live; one in eleven is a session at the super client.
  const pairs = Math.floor(options.tokens / 2);
  const perUser = pairs / Math.max(1, options.users);
  for (let p = 0; p < pairs; p++) {
    const user = bulkUser(Math.min(options.users - 1, Math.floor(p / perUser)));
    const slot = (p * 7 + 3) % (THIRD_PARTY_CLIENTS + 1);
    const clientId = slot === THIRD_PARTY_CLIENTS ? superClient.id : thirdPartyClientId(slot);
    const state = p % 10 === 0 ? 'expired' : p % 10 === 1 ? 'revoked' : 'live';
    const createdAt = new Date(now - ((p * 7919) % (30 * 1440)) * 60_000 - 60_000);
    await tokens.pair(`bulk:${p}`, user, clientId, createdAt, state);
    if ((p + 1) % 100_000 === 0) log(`tokens: ${(p + 1) * 2} bulk tokens generated`);
  }

  // The probe user: a session at the super client, 25 live grants (50 live tokens) over five
  // third-party clients, and some expired and revoked ones the list must leave out.
  const sessionAt = new Date(now - 3_600_000);
  await tokens.pair('probe:session', probeUser, superClient.id, sessionAt, 'live');
  const probeGrants = 25;
  for (let g = 0; g < probeGrants; g++) {
    const createdAt = new Date(now - (probeGrants - g) * 3_600_000);
    await tokens.pair(`probe:${g}`, probeUser, thirdPartyClientId(g % 5), createdAt, 'live');
  }
  for (let g = 0; g < 8; g++) {
    const createdAt = new Date(now - (40 - g) * DAY_MS);
    const state = g < 5 ? 'expired' : 'revoked';
    await tokens.pair(`probe:dead:${g}`, probeUser, thirdPartyClientId(g % 5), createdAt, state);
  }

  // The revoker: a session, and per target a pool of live access tokens to revoke by handle.
  await tokens.pair('revoker:session', revoker, superClient.id, sessionAt, 'live');
  const revokeHandles: Record<Target, string[]> = { tokenvakt: [], baseline: [] };
  const introspectTokens: Record<Target, string[]> = { tokenvakt: [], baseline: [] };
  for (const target of TARGETS) {
    for (let i = 0; i < options.revokePool; i++) {
      const label = `revoke:${target}:${i}`;
      const handle = await tokens.token({
        label,
        type: 'access_token',
        user: revoker,
        clientId: thirdPartyClientId(i % THIRD_PARTY_CLIENTS),
        familyId: derive(`family:${label}`, 22),
        refreshTokenHandle: null,
        createdAt: new Date(now - 60_000),
        expiresAt: new Date(now + DAY_MS),
        revokedAt: null,
      });
      revokeHandles[target].push(handle);
    }
    // Tokens a resource server introspects: live access tokens of bulk users.
    for (let i = 0; i < options.introspectPool; i++) {
      const label = `introspect:${target}:${i}`;
      await tokens.token({
        label,
        type: 'access_token',
        user: bulkUser(i % Math.max(1, options.users)),
        clientId: thirdPartyClientId(i % THIRD_PARTY_CLIENTS),
        familyId: derive(`family:${label}`, 22),
        refreshTokenHandle: null,
        createdAt: new Date(now - 60_000),
        expiresAt: new Date(now + DAY_MS),
        revokedAt: null,
      });
      introspectTokens[target].push(rawToken('access_token', label));
    }
  }
  await tokens.flush();
  await connection.query('ANALYZE TABLE `tokens`, `clients`, `users`');

  const seconds = (Date.now() - started) / 1000;
  log(`tokens: ${tokens.written} in ${seconds.toFixed(1)} s`);
  return {
    databaseUrl,
    superClient,
    resourceServer,
    probe: {
      ...probe,
      sessionToken: rawToken('access_token', 'probe:session:a'),
      liveTokens: probeGrants * 2,
      liveAccessTokens: probeGrants,
      liveRefreshTokens: probeGrants,
    },
    revoker: {
      userId: revoker.id,
      username: revoker.username,
      sessionToken: rawToken('access_token', 'revoker:session:a'),
    },
    revokeHandles,
    introspectTokens,
    counts: { users: users.written, clients: clients.written, tokens: tokens.written },
    seconds,
  };
}

/** Reads a positive whole number from the environment. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number, got "${raw}"`);
  }
  return value;
}

export function seedOptionsFromEnv(log: (line: string) => void): SeedOptions {
  return {
    serverUrl: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
    database: process.env.BENCH_DB ?? 'tokenvakt_bench',
    tokens: envInt('BENCH_TOKENS', 200_000),
    users: envInt('BENCH_USERS', 20_000),
    revokePool: envInt('BENCH_REVOKE_POOL', 40_000),
    introspectPool: envInt('BENCH_INTROSPECT_POOL', 1_000),
    log,
  };
}

if (require.main === module) {
  const log = (line: string): void => void process.stderr.write(`seed: ${line}\n`);
  seed(seedOptionsFromEnv(log)).then(
    (manifest) => {
      process.stdout.write(
        JSON.stringify(
          { databaseUrl: manifest.databaseUrl, counts: manifest.counts, seconds: manifest.seconds },
          null,
          2,
        ) + '\n',
      );
    },
    (error: unknown) => {
      process.stderr.write(
        `seed failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
