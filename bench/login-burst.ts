/**
 * `npm run bench:login`: how long a legitimate login takes while one source floods the server
 * with password checks. Starts tokenvakt (`node dist/main.js`) on a fresh SQLite database and
 * measures the latency of password grants through the super client from 127.0.0.2 while:
 *
 * 1. bursts: BURST_TRIALS times, one new source (127.0.1.<trial>) sends BURST_SIZE concurrent
 *    GET /oauth2/authorize with Basic `u<N>:x` (a new unknown user each: every one asks for a
 *    password check), and one legitimate login starts at a random moment within the first
 *    400 ms of that burst. This is the burst of the hardening issue, repeated for a p99.
 * 2. flood: one source keeps BURST_SIZE such requests in flight for BURST_DURATION seconds,
 *    with the throttle off (RATE_LIMIT_MAX_FAILURES=0: every request is a password check
 *    and only the queue stands between it and the legitimate logins), while the legitimate
 *    user logs in again and again. The load generator runs on the same machine and competes
 *    for its CPUs.
 *
 * Environment (all optional):
 *   BURST_SIZE       requests per burst, and in flight during the flood    400
 *   BURST_TRIALS     bursts                                                100
 *   BURST_DURATION   seconds of flood                                      10
 */
import { Agent, request } from 'node:http';
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { envInt } from './seed';
import { type BenchServer, startSqliteTokenvakt } from './sqlite-server';
const FLOOD_SOURCE = '127.0.0.1';
const USER_SOURCE = '127.0.0.2';

const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

interface Answer {
  status: number;
  ms: number;
}

function send(
  base: string,
  agent: Agent,
  options: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<Answer> {
  const started = performance.now();
  return new Promise((done) => {
    const req = request(
      `${base}${options.path}`,
      { method: options.method, headers: options.headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => done({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('error', () => done({ status: 0, ms: performance.now() - started }));
    req.end(options.body);
  });
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function tally(answers: readonly Answer[]): string {
  const counts = new Map<number, number>();
  for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => a[0] - b[0])
    .map(([status, n]) => `${status === 0 ? 'error' : status} x${n}`)
    .join(', ');
}

interface Setup {
  server: BenchServer;
  login: () => Promise<Answer>;
}

async function setUp(env: Record<string, string>): Promise<Setup> {
  const server = await startSqliteTokenvakt(env, { username: 'alice', password: 'alice-pw' });
  const { superClient } = server;
  const userAgent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: USER_SOURCE });
  const body = new URLSearchParams({
    grant_type: 'password',
    username: 'alice',
    password: 'alice-pw',
  }).toString();
  const headers = {
    authorization: basic(superClient.client_id, superClient.client_secret),
    'content-type': 'application/x-www-form-urlencoded',
  };
  return {
    server,
    login: () =>
      send(server.base, userAgent, { method: 'POST', path: '/oauth2/token', headers, body }),
  };
}

let unknownUser = 0;
/** One password check for a user who does not exist (the user check comes before the client). */
function floodRequest(base: string, agent: Agent): Promise<Answer> {
  return send(base, agent, {
    method: 'GET',
    path: '/oauth2/authorize?response_type=code&scope=search&client_id=nosuchclient',
    headers: { authorization: basic(`u${unknownUser++}`, 'x') },
  });
}

function report(
  title: string,
  logins: readonly Answer[],
  flood: readonly Answer[],
  what: string,
): void {
  const ms = logins.map((a) => a.ms).sort((a, b) => a - b);
  const round = (x: number) => Math.round(x);
  process.stdout.write(
    `\n${title}\n` +
      `  legitimate logins from ${USER_SOURCE}: ${logins.length} (${tally(logins)}); ` +
      `p50 ${round(percentile(ms, 50))} ms, p99 ${round(percentile(ms, 99))} ms, max ${round(ms.at(-1) ?? NaN)} ms\n` +
      `  ${what}: ${flood.length} answers (${tally(flood)})\n`,
  );
}

async function bursts(size: number, trials: number): Promise<void> {
  const { server, login } = await setUp({});
  const logins: Answer[] = [];
  const flood: Answer[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    const agent = new Agent({ keepAlive: false, localAddress: `127.0.1.${trial % 250}` });
    const burst = Array.from({ length: size }, () => floodRequest(server.base, agent));
    await sleep(Math.random() * 400);
    logins.push(await login());
    flood.push(...(await Promise.all(burst)));
    agent.destroy();
  }
  await server.stop();
  report(
    `${trials} bursts of ${size} concurrent password checks, each from a new source (default throttle)`,
    logins,
    flood,
    'the bursts',
  );
}

async function sustainedFlood(size: number, seconds: number): Promise<void> {
  const { server, login } = await setUp({ RATE_LIMIT_MAX_FAILURES: '0' });
  const agent = new Agent({ keepAlive: true, maxSockets: size, localAddress: FLOOD_SOURCE });
  const flood: Answer[] = [];
  let running = true;
  const flooders = Array.from({ length: size }, async () => {
    while (running) flood.push(await floodRequest(server.base, agent));
  });
  await sleep(1000); // the flood is under way before the first measured login
  const logins: Answer[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) logins.push(await login());
  running = false;
  await Promise.all(flooders);
  agent.destroy();
  await server.stop();
  report(
    `${seconds} s of ${size} password checks in flight from ${FLOOD_SOURCE}, throttle off`,
    logins,
    flood,
    'the flood',
  );
}

async function main(): Promise<void> {
  const size = envInt('BURST_SIZE', 400);
  log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'})`);
  await bursts(size, envInt('BURST_TRIALS', 100));
  await sustainedFlood(size, envInt('BURST_DURATION', 10));
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
