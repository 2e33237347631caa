import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/support/processes';

const REPO_ROOT = resolve(__dirname, '../..');
const MAIN_JS = join(REPO_ROOT, 'dist/main.js');
const CLI_JS = join(REPO_ROOT, 'dist/cli/main.js');

/** tokenvakt running for a benchmark, and its first super client. */
export interface BenchServer {
  base: string;
  superClient: { client_id: string; client_secret: string };
  stop: () => Promise<void>;
}

/**
 * Starts tokenvakt (`node dist/main.js`) on a fresh SQLite database in a folder of its own,
 * with a local user made by the CLI first when `user` is given, and waits for /health/ready.
 * The logins benchmarks share it (login-burst.ts, ldap-logins.ts).
 */
export async function startSqliteTokenvakt(
  env: Record<string, string>,
  user?: { username: string; password: string },
): Promise<BenchServer> {
  const cwd = mkdtempSync(join(tmpdir(), 'bench-tokenvakt-'));
  const port = await freePort();
  const fullEnv = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: 'sqlite:./data/tokenvakt.sqlite',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    PURGE_INTERVAL: '0',
    ...env,
  };
  if (user) {
    execFileSync(
      process.execPath,
      [CLI_JS, 'users', 'add', user.username, '--password', user.password],
      { cwd, env: fullEnv, stdio: 'ignore' },
    );
  }
  const child = spawn(process.execPath, [MAIN_JS], { cwd, env: fullEnv, stdio: 'ignore' });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 300 || child.exitCode !== null) throw new Error('tokenvakt did not start');
    await sleep(100);
  }
  return {
    base,
    superClient: JSON.parse(readFileSync(join(cwd, 'data/super_client.json'), 'utf8')) as {
      client_id: string;
      client_secret: string;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}
