import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const MAIN_JS = resolve(REPO_ROOT, 'dist/main.js');
export const CLI_JS = resolve(REPO_ROOT, 'dist/cli/main.js');

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Another user to run a process as (spawn's uid and gid), e.g. when the tests run as root. */
export interface RunAs {
  uid: number;
  gid: number;
  /** A node binary that user can execute (process.execPath may sit under root's 0700 home). */
  node: string;
}

/**
 * When the tests run as root, which writes through any file mode, the user `nobody` to run a
 * server as, so that a folder's mode means something; otherwise undefined (run as ourselves).
 * CI installs Node.js under root's home, which nobody cannot enter: then a copy of the binary
 * in a temporary folder is used. The repository itself must be readable by nobody.
 */
export function otherUserWhenRoot(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = { uid: 65534, gid: 65534 };
  const canRun = (node: string) =>
    spawnSync(node, ['-e', `require('fs').accessSync(${JSON.stringify(MAIN_JS)})`], user).status ===
    0;
  if (canRun(process.execPath)) return { ...user, node: process.execPath };
  const folder = mkdtempSync(join(tmpdir(), 'tokenvakt-node-'));
  chmodSync(folder, 0o755);
  const node = join(folder, 'node');
  copyFileSync(process.execPath, node);
  chmodSync(node, 0o755);
  if (!canRun(node)) throw new Error(`user nobody cannot read ${MAIN_JS}`);
  return { ...user, node };
}

/** Runs a compiled entry point to completion (bounded by `timeoutMs`). */
export function runNode(
  script: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    input?: string;
    timeoutMs?: number;
    runAs?: RunAs;
  } = {},
): Promise<ProcessResult> {
  return new Promise((done, fail) => {
    const { node = process.execPath, ...user } = options.runAs ?? {};
    const child = spawn(node, [script, ...args], {
      // A neutral working directory, so a developer's .env in the repository cannot leak in.
      cwd: options.cwd ?? tmpdir(),
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
      ...user,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Runs the operator CLI (what `npm run -s cli -- ...` runs after building). */
export function runCli(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<ProcessResult> {
  return runNode(CLI_JS, args, { env, input });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export interface RunningServer {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Sends SIGTERM and resolves with the exit code once the process has exited. */
  stop: () => Promise<number | null>;
}

/** Starts `node dist/main.js` in `cwd` and waits until it says it is listening. */
export async function startServer(
  cwd: string,
  env: Record<string, string>,
  runAs?: RunAs,
): Promise<RunningServer> {
  const { node = process.execPath, ...user } = runAs ?? {};
  const child = spawn(node, [MAIN_JS], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    ...user,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const deadline = Date.now() + 30_000;
  while (!stdout.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${stdout}\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The line on stderr that hands over the first super client's credentials (README: Command line). */
export const CREDENTIALS_LINE =
  /^tokenvakt: created the first super client; its secret is shown only now and kept in (\S+): (\{.*\})$/;

/** The credentials lines of a server's stderr: the file each names, and the credentials. */
export function credentialsLines(
  stderr: string,
): Array<{ file: string; credentials: { client_id: string; client_secret: string } }> {
  return stderr.split('\n').flatMap((line) => {
    const match = CREDENTIALS_LINE.exec(line);
    if (!match?.[1] || !match[2]) return [];
    const credentials = JSON.parse(match[2]) as { client_id: string; client_secret: string };
    return [{ file: match[1], credentials }];
  });
}
