/**
 * Password-grant logins per second with the users in LDAP (README: Users in LDAP), beside the
 * same figure for the local scrypt store (BENCHMARKS.md: "Logins against LDAP"):
 *
 *   npm run -s build && npx tsc -p tsconfig.bench.json && node dist-bench/bench/ldap-logins.js
 *
 * Starts a private slapd on loopback (test/support/slapd.ts, the tests' directory), then
 * tokenvakt (`node dist/main.js`, SQLite) once per store: local (alice made with the CLI),
 * LDAP over plain ldap://, and LDAP with StartTLS. autocannon sends the super client's
 * password grant for alice, with the right password, from BENCH_CONNECTIONS connections for
 * BENCH_DURATION seconds after BENCH_WARMUP seconds of warm-up, with the throttle off.
 * Everything runs on the same machine: the figure includes slapd's own work.
 *
 * Environment (all optional): BENCH_DURATION (10), BENCH_WARMUP (2), BENCH_CONNECTIONS (8),
 * LDAP_POOL_SIZE (tokenvakt's default, 4).
 */
import autocannon from 'autocannon';
import { availableParallelism, cpus } from 'node:os';
import { PEOPLE_IN_DIRECTORY, slapdMissing, TestDirectory } from '../test/support/slapd';
import { envInt } from './seed';
import { type BenchServer, startSqliteTokenvakt } from './sqlite-server';

const { uid: USERNAME, password: PASSWORD } = PEOPLE_IN_DIRECTORY.alice;

const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

/** tokenvakt for one store; alice is made with the CLI for the local store. */
function startTokenvakt(env: Record<string, string>): Promise<BenchServer> {
  return startSqliteTokenvakt(
    {
      // A password check reserves a failure until it ends (README: Throttling): with the
      // throttle on, more concurrent logins of one user than its limit would be refused.
      RATE_LIMIT_MAX_FAILURES: '0',
      ...env,
    },
    env.USER_STORE === 'ldap' ? undefined : { username: USERNAME, password: PASSWORD },
  );
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  other: number;
}

async function logins(server: BenchServer, seconds: number, connections: number): Promise<Figures> {
  const { client_id, client_secret } = server.superClient;
  const result = await autocannon({
    url: server.base,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/oauth2/token',
        headers: {
          authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'password',
          username: USERNAME,
          password: PASSWORD,
        }).toString(),
      },
    ],
  });
  return {
    rps: result['2xx'] / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    other: result.non2xx + result.errors,
  };
}

async function measure(
  name: string,
  env: Record<string, string>,
  options: { duration: number; warmup: number; connections: number },
): Promise<string> {
  const server = await startTokenvakt(env);
  try {
    if (options.warmup > 0) await logins(server, options.warmup, options.connections);
    const f = await logins(server, options.duration, options.connections);
    return (
      `  ${name.padEnd(34)} ${Math.round(f.rps).toString().padStart(6)} logins/s` +
      `   p50 ${f.p50} ms, p99 ${f.p99} ms   (${f.ok} answered 200, ${f.other} otherwise)`
    );
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const missing = slapdMissing();
  if (missing) throw new Error(missing);
  const options = {
    duration: envInt('BENCH_DURATION', 10),
    warmup: envInt('BENCH_WARMUP', 2),
    connections: envInt('BENCH_CONNECTIONS', 8),
  };
  const pool: Record<string, string> = process.env.LDAP_POOL_SIZE
    ? { LDAP_POOL_SIZE: process.env.LDAP_POOL_SIZE }
    : {};
  log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'})`);
  const directory = await TestDirectory.start();
  try {
    const lines = [
      await measure('local store (scrypt N=2^15)', {}, options),
      await measure('LDAP, ldap://', directory.env(pool), options),
      await measure(
        'LDAP, ldap:// with StartTLS',
        directory.env({ ...pool, LDAP_START_TLS: 'true', LDAP_CA_FILE: directory.caFile }),
        options,
      ),
    ];
    process.stdout.write(
      `password-grant logins of one user, ${options.connections} connections, ` +
        `${options.duration} s each after ${options.warmup} s of warm-up:\n${lines.join('\n')}\n`,
    );
  } finally {
    await directory.close();
  }
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
