/**
 * `npm run bench`: seeds a MariaDB/MySQL database (bench/seed.ts), starts tokenvakt
 * (`node dist/main.js`) and the framework-free baseline (bench/baseline-server.ts) on
 * loopback, and drives both with autocannon for a fixed duration per scenario. Prints
 * requests/s, p50 and p99 for each, tokenvakt's throughput as a fraction of the baseline's,
 * the SQL statements each server sends per request (MariaDB general log), and the EXPLAIN
 * of the token-list queries.
 *
 * Environment (all optional):
 *   BENCH_MYSQL_URL        server URL without database   mysql://root@127.0.0.1:3306
 *   BENCH_DB               database name                 tokenvakt_bench
 *   BENCH_TOKENS           bulk tokens                   200000
 *   BENCH_USERS            bulk users                    20000
 *   BENCH_DURATION         seconds per measured run      10
 *   BENCH_WARMUP           seconds of warm-up per run    2
 *   BENCH_CONNECTIONS      autocannon connections        10
 *   BENCH_REVOKE_POOL      revocable tokens per server   40000
 *   BENCH_INTROSPECT_POOL  introspected tokens/server    1000
 *   BENCH_COUNT_QUERIES    0: skip the general-log count (it switches the global general
 *                          log on for about a second and restores it)
 *   BENCH_SCALE            1: also token-list latency at BENCH_SCALE_SIZES tokens;
 *                          only: that alone, without the scenarios above
 *   BENCH_SCALE_SIZES      comma-separated               10000,1000000
 *   BENCH_SCALE_ROUNDS     alternating runs per size     2
 *   BENCH_ONLY             comma-separated scenario keys (list,bearer,introspect,cc,revoke)
 *   BENCH_KEEP_DB          1: keep the databases afterwards
 *   BENCH_NODE_ARGS        extra node options for both servers, space-separated (e.g.
 *                          `--cpu-prof --cpu-prof-dir=/tmp/prof` for CPU profiles)
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { freePort } from '../test/support/processes';
import { countActive, pageActive } from './sql';
import { envInt, seed, seedOptionsFromEnv, TARGETS, type SeedManifest, type Target } from './seed';

const REPO_ROOT = resolve(__dirname, '../..');
const MAIN_JS = join(REPO_ROOT, 'dist/main.js');
const BASELINE_JS = join(__dirname, 'baseline-server.js');
const HOST = '127.0.0.1';
const TARGET_RATIO = 0.7;
const TARGET_SCALE = 1.3;
const FORM = 'application/x-www-form-urlencoded';

const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

// ---------------------------------------------------------------------------------------------
// Processes

interface Running {
  name: string;
  base: string;
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

async function start(name: string, script: string, env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const cwd = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, script], {
    // A neutral working directory: no .env of the repository is read.
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env, HOST, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const base = `http://${HOST}:${port}`;
  const running: Running = {
    name,
    base,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killed = await Promise.race([exited.then(() => true), sleep(15_000, false)]);
        if (!killed) child.kill('SIGKILL');
        await exited;
      }
      rmSync(cwd, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    }
    try {
      const response = await fetch(`${base}/health/ready`);
      if (response.status === 200) return running;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error(`${name} not ready after 60 s:\n${output}`);
    }
    await sleep(200);
  }
}

function startTokenvakt(databaseUrl: string): Promise<Running> {
  return start('tokenvakt', MAIN_JS, {
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX_FAILURES: '0',
    PURGE_INTERVAL: '0',
  });
}

function startBaseline(databaseUrl: string): Promise<Running> {
  return start('baseline', BASELINE_JS, { DATABASE_URL: databaseUrl });
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface Scenario {
  key: string;
  title: string;
  path: string;
  /** Headers per target (Authorization differs for none of them today, but may). */
  headers: Record<string, string>;
  /** The body of the next request for this target. */
  nextBody: (target: Target) => string;
  /** Requests per target so far (pool scenarios report wrap-arounds). */
  used: Record<Target, number>;
  poolSize?: number;
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

function basic(id: string, secret: string): string {
  return (
    'Basic ' +
    Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')
  );
}

function scenarios(m: SeedManifest): Scenario[] {
  const superFields = {
    super_client_id: m.superClient.id,
    super_client_secret: m.superClient.secret,
  };
  const listBodies = [
    form({ ...superFields, token_type: 'access_token' }),
    form({ ...superFields, token_type: 'refresh_token' }),
  ];
  const used = (): Record<Target, number> => ({ tokenvakt: 0, baseline: 0 });
  const cycle = (s: { used: Record<Target, number> }, values: Record<Target, string[]>) => {
    return (target: Target): string => {
      const list = values[target];
      const value = list[s.used[target] % list.length] ?? '';
      s.used[target]++;
      return value;
    };
  };

  const list: Scenario = {
    key: 'list',
    title: 'token list (50 live tokens, 25 per type)',
    path: '/oauth2/token/list',
    headers: { authorization: `Bearer ${m.probe.sessionToken}`, 'content-type': FORM },
    used: used(),
    nextBody: (target) => listBodies[list.used[target]++ % 2] ?? '',
  };
  const bearer: Scenario = {
    key: 'bearer',
    title: 'bearer auth (token/list counts_only)',
    path: '/oauth2/token/list',
    headers: { authorization: `Bearer ${m.probe.sessionToken}`, 'content-type': FORM },
    used: used(),
    nextBody: () => form({ ...superFields, token_type: 'access_token', counts_only: 'true' }),
  };
  const introspect: Scenario = {
    key: 'introspect',
    title: 'introspect',
    path: '/oauth2/introspect',
    headers: {
      authorization: basic(m.resourceServer.id, m.resourceServer.secret),
      'content-type': FORM,
    },
    used: used(),
    poolSize: m.introspectTokens.tokenvakt.length,
    nextBody: () => '',
  };
  const introspectNext = cycle(introspect, m.introspectTokens);
  introspect.nextBody = (target) => form({ token: introspectNext(target) });
  const cc: Scenario = {
    key: 'cc',
    title: 'client_credentials grant',
    path: '/oauth2/token',
    headers: {
      authorization: basic(m.resourceServer.id, m.resourceServer.secret),
      'content-type': FORM,
    },
    used: used(),
    nextBody: () => form({ grant_type: 'client_credentials', scope: 'search' }),
  };
  const revoke: Scenario = {
    key: 'revoke',
    title: 'revoke/super (by handle)',
    path: '/oauth2/revoke/super',
    headers: { authorization: `Bearer ${m.revoker.sessionToken}`, 'content-type': FORM },
    used: used(),
    poolSize: m.revokeHandles.tokenvakt.length,
    nextBody: () => '',
  };
  const revokeNext = cycle(revoke, m.revokeHandles);
  revoke.nextBody = (target) => form({ ...superFields, token: revokeNext(target) });
  const all = [list, bearer, introspect, cc, revoke];
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  return only ? all.filter((s) => only.includes(s.key)) : all;
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc): who used the 2 cores during a run

/** The processes whose CPU time is accounted separately; the rest is "other". */
const accounted: { server: Record<Target, number | undefined>; mariadbd: number | undefined } = {
  server: { tokenvakt: undefined, baseline: undefined },
  mariadbd: findProcess('mariadbd') ?? findProcess('mysqld'),
};

function findProcess(comm: string): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) return Number(entry);
      } catch {
        // gone
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** utime + stime of a process, in clock ticks; 0 when unknown. */
function processTicks(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

interface CpuSnapshot {
  total: number;
  busy: number;
  server: number;
  mariadbd: number;
  self: number;
}

function cpuSnapshot(target: Target): CpuSnapshot | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return {
      total,
      busy: total - idle,
      server: processTicks(accounted.server[target]),
      mariadbd: processTicks(accounted.mariadbd),
      self: processTicks(process.pid),
    };
  } catch {
    return undefined;
  }
}

/** Shares of the whole machine (all cores = 100 %) during a run. */
interface CpuShares {
  server: number;
  mariadbd: number;
  autocannon: number;
  other: number;
  idle: number;
}

function cpuShares(before?: CpuSnapshot, after?: CpuSnapshot): CpuShares | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  const total = after.total - before.total;
  const share = (n: number) => (100 * n) / total;
  const server = after.server - before.server;
  const mariadbd = after.mariadbd - before.mariadbd;
  const self = after.self - before.self;
  const busy = after.busy - before.busy;
  return {
    server: share(server),
    mariadbd: share(mariadbd),
    autocannon: share(self),
    other: share(Math.max(0, busy - server - mariadbd - self)),
    idle: share(total - busy),
  };
}

interface Measured {
  cpu?: CpuShares;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  total: number;
  non2xx: number;
  errors: number;
}

async function cannon(
  scenario: Scenario,
  target: Target,
  base: string,
  seconds: number,
  connections: number,
): Promise<Measured> {
  const before = cpuSnapshot(target);
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: scenario.path,
        headers: scenario.headers,
        setupRequest: (request) => ({ ...request, body: scenario.nextBody(target) }),
      },
    ],
  });
  const cpu = cpuShares(before, cpuSnapshot(target));
  return {
    ...(cpu ? { cpu } : {}),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.average,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

// ---------------------------------------------------------------------------------------------
// Checks: both servers answer the same, and what SQL they send

async function post(base: string, scenario: Scenario, target: Target, body?: string) {
  const response = await fetch(base + scenario.path, {
    method: 'POST',
    headers: scenario.headers,
    body: body ?? scenario.nextBody(target),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** One request per scenario to each server; the answers must agree (same rows, same status). */
async function checkEquivalence(list: Scenario[], servers: Record<Target, Running>): Promise<void> {
  for (const scenario of list) {
    const [a, b] = await Promise.all(TARGETS.map((t) => post(servers[t].base, scenario, t)));
    if (!a || !b) throw new Error('no answer');
    if (a.status !== 200 || b.status !== 200) {
      throw new Error(
        `${scenario.key}: tokenvakt ${a.status} ${a.text.slice(0, 200)}; baseline ${b.status} ${b.text.slice(0, 200)}`,
      );
    }
    if (scenario.key === 'list' || scenario.key === 'bearer') {
      // The same entries (handle and joined client name) in the same order, or the same count.
      const summary = (text: string): string => {
        type Entry = { token: string; client_name: string };
        const body = JSON.parse(text) as Entry[] | { count: number };
        return JSON.stringify(
          body instanceof Array ? body.map((e: Entry) => `${e.token}/${e.client_name}`) : body,
        );
      };
      if (
        summary(a.text) !== summary(b.text) ||
        a.headers.get('x-total-count') !== b.headers.get('x-total-count')
      ) {
        throw new Error(`${scenario.key}: the servers disagree:\n${a.text}\n${b.text}`);
      }
    }
    if (scenario.key === 'introspect') {
      const strip = (text: string) => {
        const { active, scope, token_type: type } = JSON.parse(text) as Record<string, unknown>;
        return JSON.stringify({ active, scope, type });
      };
      if (strip(a.text) !== strip(b.text) || !a.text.includes('"active":true')) {
        throw new Error(`introspect: the servers disagree:\n${a.text}\n${b.text}`);
      }
    }
  }
}

interface StatementCount {
  count: Record<Target, number>;
  statements: Record<Target, string[]>;
}

/** Short form of a logged statement: the select lists elided, values kept. */
function shorten(sql: string): string {
  return sql
    .replace(/^SELECT .*? FROM/s, 'SELECT … FROM')
    .replace(/^INSERT INTO `tokens` ?\(.*?\) VALUES \(.*?\)/s, 'INSERT INTO `tokens`(…) VALUES (…)')
    .replace(/`/g, '')
    .replace(/\s+/g, ' ')
    .slice(0, 150);
}

/**
 * Sends each scenario twice to each server with MariaDB's general log on (to the
 * mysql.general_log table, for about a second), and counts the statements the second
 * request caused on the servers' pool connections. The previous log settings are restored.
 */
async function countStatements(
  connection: Connection,
  database: string,
  list: Scenario[],
  servers: Record<Target, Running>,
): Promise<Map<string, StatementCount>> {
  const counts = new Map<string, StatementCount>();
  const [settings] = await connection.query<RowDataPacket[]>(
    'SELECT @@GLOBAL.general_log AS on_, @@GLOBAL.log_output AS output',
  );
  const previous = settings[0];
  const [logged] = await connection.query<RowDataPacket[]>(
    'SELECT COUNT(*) AS n FROM mysql.general_log',
  );
  const wasEmpty = Number(logged[0]?.n) === 0;
  const [idRows] = await connection.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
  const myId = Number(idRows[0]?.id);
  const startedRows = (await connection.query<RowDataPacket[]>('SELECT NOW(6) AS t'))[0];
  const started = startedRows[0]?.t as Date;
  await connection.query("SET GLOBAL log_output = 'TABLE'");
  await connection.query('SET GLOBAL general_log = 1');
  try {
    for (const scenario of list) {
      for (const target of TARGETS) {
        // The same request twice, counting the second: the steady state, in which the token
        // was used moments ago (recordUse writes at most once a minute per token) and a
        // revocation finds its token already revoked (the same statements, zero rows changed).
        const body = scenario.nextBody(target);
        for (const counted of [false, true]) {
          if (counted) {
            await connection.query('SELECT ?', [`bench-mark:${scenario.key}:${target}`]);
          }
          const answer = await post(servers[target].base, scenario, target, body);
          if (answer.status !== 200) throw new Error(`${scenario.key}/${target}: ${answer.status}`);
          await sleep(30);
          if (counted) await connection.query("SELECT 'bench-mark:pause'");
        }
      }
    }
  } finally {
    await connection.query(`SET GLOBAL general_log = ${Number(previous?.on_) ? 1 : 0}`);
    await connection.query('SET GLOBAL log_output = ?', [String(previous?.output ?? 'FILE')]);
  }
  const [threads] = await connection.query<RowDataPacket[]>(
    'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> ?',
    [database, myId],
  );
  const ours = new Set(threads.map((r) => Number(r.id)));
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT thread_id, command_type, CONVERT(argument USING utf8mb4) AS argument ' +
      'FROM mysql.general_log WHERE event_time >= ?',
    [started],
  );
  // Leave the log table as found: empty if it was (the CSV table cannot DELETE single rows).
  if (wasEmpty) await connection.query('TRUNCATE TABLE mysql.general_log');
  let current: { key: string; target: Target } | undefined;
  for (const row of rows) {
    const thread = Number(row.thread_id);
    const argument = String(row.argument);
    if (thread === myId) {
      const mark = /bench-mark:(\w+):(\w+)/.exec(argument);
      current =
        mark?.[1] && (mark[2] === 'tokenvakt' || mark[2] === 'baseline')
          ? { key: mark[1], target: mark[2] }
          : undefined;
      continue;
    }
    if (!current || !ours.has(thread)) continue;
    if (row.command_type !== 'Query' && row.command_type !== 'Execute') continue;
    const entry = counts.get(current.key) ?? {
      count: { tokenvakt: 0, baseline: 0 },
      statements: { tokenvakt: [], baseline: [] },
    };
    entry.count[current.target]++;
    entry.statements[current.target].push(shorten(argument));
    counts.set(current.key, entry);
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// EXPLAIN

async function explainTokenList(
  connection: Connection,
  m: SeedManifest,
  mariadb: boolean,
): Promise<{ text: string; ok: boolean }> {
  const params = [m.probe.userId, 'access_token', new Date(), m.superClient.id];
  const out: string[] = [];
  let ok = true;
  const queries: Array<[string, string, unknown[]]> = [
    ['page query', pageActive(false), [...params, 200, 0]],
    ['count query', countActive(false), params],
  ];
  for (const [label, sql, values] of queries) {
    const [plan] = await connection.query<RowDataPacket[]>(`EXPLAIN ${sql}`, values);
    out.push(`EXPLAIN (${label}):`, table(plan));
    const t = plan.find((r) => r.table === 't');
    if (!t || t.key !== 'IDX_tokens_list' || !['range', 'ref'].includes(String(t.type))) ok = false;
    if (mariadb) {
      const [analyzed] = await connection.query<RowDataPacket[]>(`ANALYZE ${sql}`, values);
      out.push(`ANALYZE (${label}; r_rows = rows actually read):`, table(analyzed));
    }
  }
  return { text: out.join('\n'), ok };
}

function table(rows: RowDataPacket[]): string {
  const first = rows[0];
  if (!first) return '(no rows)';
  const columns = Object.keys(first);
  const cell = (v: unknown): string =>
    v === null || v === undefined
      ? 'NULL'
      : typeof v === 'number' || typeof v === 'string'
        ? String(v)
        : JSON.stringify(v);
  return formatTable(
    columns,
    rows.map((r) => columns.map((c) => cell(r[c]))),
  );
}

function formatTable(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ') + ' |';
  const rule = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [line(header), rule, ...body.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

const fmt = (n: number, digits = 0): string => n.toFixed(digits);

interface Row {
  scenario: Scenario;
  result: Record<Target, Measured>;
}

async function mainRun(): Promise<boolean> {
  const duration = envInt('BENCH_DURATION', 10);
  const warmup = envInt('BENCH_WARMUP', 2);
  const connections = envInt('BENCH_CONNECTIONS', 10);
  const seedOptions = seedOptionsFromEnv(log);
  const keepDb = process.env.BENCH_KEEP_DB === '1';

  const admin = await createConnection({ uri: seedOptions.serverUrl, timezone: 'Z' });
  const [versionRows] = await admin.query<RowDataPacket[]>('SELECT VERSION() AS v');
  const serverVersion = String(versionRows[0]?.v ?? '?');
  const mariadb = /mariadb/i.test(serverVersion);
  if (process.env.BENCH_SCALE === 'only') {
    await admin.end();
    return scaleRun(duration, warmup, connections, mariadb);
  }

  let allOk = true;
  const servers: Partial<Record<Target, Running>> = {};
  const stopAll = async () => {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  };
  process.once('SIGINT', () => {
    void stopAll().finally(() => process.exit(130));
  });
  try {
    log(
      `seeding ${seedOptions.database}: ${seedOptions.tokens} tokens, ${seedOptions.users} users`,
    );
    const manifest = await seed(seedOptions);
    log(`seeded in ${manifest.seconds.toFixed(1)} s`);
    servers.tokenvakt = await startTokenvakt(manifest.databaseUrl);
    servers.baseline = await startBaseline(manifest.databaseUrl);
    const running = servers as Record<Target, Running>;
    for (const target of TARGETS) accounted.server[target] = running[target].child.pid;
    log(`tokenvakt at ${running.tokenvakt.base}, baseline at ${running.baseline.base}`);

    const list = scenarios(manifest);
    await checkEquivalence(list, running);
    log('equivalence check: both servers answer each scenario with 200 and the same rows');

    // Warm-up: JIT, pools (10 connections each), InnoDB buffer pool.
    for (const scenario of list) {
      for (const target of TARGETS) {
        if (warmup > 0) await cannon(scenario, target, running[target].base, warmup, connections);
      }
    }

    const dbConnection = await createConnection({ uri: manifest.databaseUrl, timezone: 'Z' });
    let statements = new Map<string, StatementCount>();
    try {
      if (process.env.BENCH_COUNT_QUERIES !== '0') {
        statements = await countStatements(dbConnection, seedOptions.database, list, running);
      }
    } catch (error) {
      log(`statement count skipped: ${error instanceof Error ? error.message : String(error)}`);
    }

    const rows: Row[] = [];
    const loadBefore = loadavg()[0] ?? 0;
    for (const [i, scenario] of list.entries()) {
      // Alternate who goes first, so drift on a shared machine does not favour one side.
      const order = i % 2 === 0 ? TARGETS : [...TARGETS].reverse();
      const result: Partial<Record<Target, Measured>> = {};
      for (const target of order) {
        log(`${scenario.key}: ${target} for ${duration} s`);
        await sleep(500);
        result[target] = await cannon(
          scenario,
          target,
          running[target].base,
          duration,
          connections,
        );
      }
      rows.push({ scenario, result: result as Record<Target, Measured> });
    }

    const explain = await explainTokenList(dbConnection, manifest, mariadb);
    const [[sizeRow]] = await dbConnection.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM tokens',
    );
    await dbConnection.end();

    // Report
    const out: string[] = [];
    out.push('');
    out.push(
      `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ` +
        `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} free), ` +
        `node ${process.version}, ${serverVersion}`,
    );
    out.push(
      `data: ${manifest.counts.tokens} tokens seeded (${String(sizeRow?.n)} at the end), ` +
        `${manifest.counts.users} users, ${manifest.counts.clients} clients; ` +
        `probe user: ${manifest.probe.liveTokens} live tokens ` +
        `(${manifest.probe.liveAccessTokens} access, ${manifest.probe.liveRefreshTokens} refresh)`,
    );
    out.push(
      `load: autocannon, ${connections} connections, ${duration} s per run after ${warmup} s ` +
        `warm-up, over loopback; both servers on pools of 10 connections`,
    );
    out.push('');
    const header = [
      'scenario',
      'tokenvakt req/s',
      'p50 ms',
      'p99 ms',
      'baseline req/s',
      'p50 ms',
      'p99 ms',
      'ratio',
      'target',
      'SQL/req tv:bl',
    ];
    const body = rows.map(({ scenario, result }) => {
      const tv = result.tokenvakt;
      const bl = result.baseline;
      const ratio = bl.rps > 0 ? tv.rps / bl.rps : 0;
      const pass = ratio >= TARGET_RATIO && tv.non2xx === 0 && bl.non2xx === 0;
      if (!pass) allOk = false;
      const count = statements.get(scenario.key)?.count;
      return [
        scenario.title,
        fmt(tv.rps),
        fmt(tv.p50, 1),
        fmt(tv.p99, 1),
        fmt(bl.rps),
        fmt(bl.p50, 1),
        fmt(bl.p99, 1),
        fmt(ratio, 2),
        `>= ${TARGET_RATIO} ${pass ? 'ok' : 'MISS'}`,
        count ? `${count.tokenvakt}:${count.baseline}` : '-',
      ];
    });
    out.push(formatTable(header, body));
    out.push('');
    out.push(
      'CPU during each measured run, as % of the whole machine (all cores = 100 %); ' +
        '"other" is every process but the server, mariadbd and this runner (autocannon); ' +
        'server CPU ms/req = server CPU time per answered request:',
    );
    out.push(
      formatTable(
        [
          'scenario',
          'target',
          'server %',
          'mariadbd %',
          'autocannon %',
          'other %',
          'idle %',
          'server CPU ms/req',
        ],
        rows.flatMap(({ scenario, result }) =>
          TARGETS.map((target) => {
            const r = result[target];
            const c = r.cpu;
            const cores = cpus().length;
            const perRequest = c && r.rps > 0 ? ((c.server / 100) * cores * 1000) / r.rps : NaN;
            return [
              scenario.key,
              target,
              c ? fmt(c.server) : '-',
              c ? fmt(c.mariadbd) : '-',
              c ? fmt(c.autocannon) : '-',
              c ? fmt(c.other) : '-',
              c ? fmt(c.idle) : '-',
              Number.isNaN(perRequest) ? '-' : fmt(perRequest, 2),
            ];
          }),
        ),
      ),
    );
    out.push(
      `load average (1 min): ${fmt(loadBefore, 2)} before the runs, ${fmt(loadavg()[0] ?? 0, 2)} after`,
    );
    for (const { scenario, result } of rows) {
      for (const target of TARGETS) {
        const r = result[target];
        if (r.non2xx > 0 || r.errors > 0) {
          out.push(
            `WARNING ${scenario.key}/${target}: ${r.non2xx} non-2xx answers, ${r.errors} errors`,
          );
        }
      }
      // Introspection cycles its pool by design (a resource server sees the same tokens
      // again); revocation must not, or later requests revoke nothing.
      if (scenario.key === 'revoke' && scenario.poolSize !== undefined) {
        for (const target of TARGETS) {
          if (scenario.used[target] > scenario.poolSize) {
            out.push(
              `WARNING revoke/${target}: ${scenario.used[target]} requests over a pool of ` +
                `${scenario.poolSize}; later ones revoked nothing (raise BENCH_REVOKE_POOL)`,
            );
          }
        }
      }
    }
    if (statements.size > 0) {
      out.push('');
      out.push(
        'SQL statements per request (MariaDB general log; the second of two identical requests, after warm-up):',
      );
      for (const scenario of list) {
        const entry = statements.get(scenario.key);
        if (!entry) continue;
        for (const target of TARGETS) {
          out.push(`  ${scenario.key} / ${target}: ${entry.count[target]}`);
          for (const s of entry.statements[target]) out.push(`      ${s}`);
        }
      }
    }
    out.push('');
    out.push(
      `token-list plan for the probe user: ${explain.ok ? 'ok' : 'NOT OK'} ` +
        "(range/ref on IDX_tokens_list, only this user's rows)",
    );
    if (!explain.ok) allOk = false;
    out.push(explain.text);
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await stopAll();
    if (!keepDb) {
      await admin.query(`DROP DATABASE IF EXISTS \`${seedOptions.database}\``);
    }
    await admin.end();
  }

  if (process.env.BENCH_SCALE === '1') {
    if (!(await scaleRun(duration, warmup, connections, mariadb))) allOk = false;
  }
  return allOk;
}

/**
 * Times the token list's page query and its COUNT (sent when a page is full) alone on one
 * connection: the database's share, no HTTP.
 */
async function timeListQueries(m: SeedManifest, iterations: number): Promise<number> {
  const connection = await createConnection({ uri: m.databaseUrl, timezone: 'Z' });
  try {
    const params = [m.probe.userId, 'access_token', new Date(), m.superClient.id];
    const once = async () => {
      await connection.query(pageActive(false), [...params, 200, 0]);
      await connection.query(countActive(false), params);
    };
    for (let i = 0; i < 50; i++) await once();
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await once();
    return Number(process.hrtime.bigint() - started) / 1e6 / iterations;
  } finally {
    await connection.end();
  }
}

/**
 * Token-list latency at several table sizes, the same probe user (same 50 tokens) in each.
 * One tokenvakt per size, all running; the runs alternate between sizes for
 * BENCH_SCALE_ROUNDS rounds so that drift on a shared machine hits every size alike.
 */
async function scaleRun(
  duration: number,
  warmup: number,
  connections: number,
  mariadb: boolean,
): Promise<boolean> {
  const sizes = (process.env.BENCH_SCALE_SIZES ?? '10000,1000000')
    .split(',')
    .map((s) => Number(s.trim().replace(/_/g, '')))
    .filter((n) => Number.isInteger(n) && n > 0);
  const rounds = Math.max(1, envInt('BENCH_SCALE_ROUNDS', 2));
  const base = seedOptionsFromEnv(log);
  interface Size {
    size: number;
    database: string;
    manifest?: SeedManifest;
    server?: Running;
    runs: Measured[];
    queryMs?: number;
    plan?: { text: string; ok: boolean };
  }
  const all: Size[] = sizes.map((size) => ({
    size,
    database: `${base.database}_scale_${size}`,
    runs: [],
  }));
  const admin = await createConnection({ uri: base.serverUrl });
  try {
    for (const entry of all) {
      log(`scale: seeding ${entry.size} tokens into ${entry.database}`);
      entry.manifest = await seed({
        ...base,
        database: entry.database,
        tokens: entry.size,
        users: Math.max(1, Math.round(entry.size / 10)),
        revokePool: 0,
        introspectPool: 0,
      });
      log(
        `scale: ${entry.manifest.counts.tokens} tokens in ${entry.manifest.seconds.toFixed(1)} s`,
      );
    }
    for (const entry of all) {
      if (!entry.manifest) continue;
      entry.server = await startTokenvakt(entry.manifest.databaseUrl);
    }
    const scenarioOf = (entry: Size): Scenario => {
      const scenario = entry.manifest && scenarios(entry.manifest).find((s) => s.key === 'list');
      if (!scenario) throw new Error('no list scenario');
      return scenario;
    };
    for (const entry of all) {
      accounted.server.tokenvakt = entry.server?.child.pid;
      if (entry.server && warmup > 0) {
        await cannon(scenarioOf(entry), 'tokenvakt', entry.server.base, warmup, connections);
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const entry of round % 2 === 0 ? all : [...all].reverse()) {
        if (!entry.server) continue;
        log(`scale: round ${round + 1}, ${entry.size} tokens, ${duration} s`);
        accounted.server.tokenvakt = entry.server.child.pid;
        await sleep(500);
        entry.runs.push(
          await cannon(scenarioOf(entry), 'tokenvakt', entry.server.base, duration, connections),
        );
      }
    }
    for (const entry of all) {
      if (!entry.manifest) continue;
      entry.queryMs = await timeListQueries(entry.manifest, 1000);
      const connection = await createConnection({ uri: entry.manifest.databaseUrl, timezone: 'Z' });
      entry.plan = await explainTokenList(connection, entry.manifest, mariadb);
      await connection.end();
    }
  } finally {
    await Promise.all(all.map((entry) => (entry.server ? entry.server.stop() : Promise.resolve())));
    if (process.env.BENCH_KEEP_DB !== '1') {
      for (const entry of all) await admin.query(`DROP DATABASE IF EXISTS \`${entry.database}\``);
    }
    await admin.end();
  }

  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const summary = all.map((entry) => ({
    size: entry.manifest?.counts.tokens ?? entry.size,
    rps: avg(entry.runs.map((r) => r.rps)),
    mean: avg(entry.runs.map((r) => r.mean)),
    p50: avg(entry.runs.map((r) => r.p50)),
    p99: avg(entry.runs.map((r) => r.p99)),
    queryMs: entry.queryMs ?? NaN,
    plan: entry.plan,
  }));
  const first = summary[0];
  const last = summary[summary.length - 1];
  const out: string[] = [
    '',
    `token list (tokenvakt, ${connections} connections) by table size, ` +
      `${rounds} alternating runs of ${duration} s each averaged; ` +
      'SQL ms = page query + COUNT (what a full page sends; a short page sends the page only) ' +
      'alone on one connection (mean of 1000):',
  ];
  out.push(
    formatTable(
      ['tokens', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'mean vs first', 'SQL ms', 'SQL vs first'],
      summary.map((x) => [
        String(x.size),
        fmt(x.rps),
        fmt(x.mean, 2),
        fmt(x.p50, 1),
        fmt(x.p99, 1),
        first ? fmt(x.mean / first.mean, 2) : '-',
        fmt(x.queryMs, 3),
        first ? fmt(x.queryMs / first.queryMs, 2) : '-',
      ]),
    ),
  );
  let ok = summary.every((x) => x.plan?.ok === true);
  if (first && last && last !== first) {
    const ratio = last.mean / first.mean;
    ok = ok && ratio <= TARGET_SCALE;
    out.push(
      `mean latency at ${last.size} vs ${first.size} tokens: ${fmt(ratio, 2)}x ` +
        `(target <= ${TARGET_SCALE}x: ${ratio <= TARGET_SCALE ? 'ok' : 'MISS'})`,
    );
    if (last.plan) out.push(`plan at ${last.size} tokens:`, last.plan.text);
  }
  process.stdout.write(out.join('\n') + '\n');
  return ok;
}

mainRun().then(
  (ok) => {
    process.stdout.write(ok ? '\nall targets met\n' : '\nsome targets missed (see above)\n');
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
