import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const MAIN_JS = resolve(REPO_ROOT, 'dist/main.js');
export const CLI_JS = resolve(REPO_ROOT, 'dist/cli/main.js');

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a compiled entry point to completion (bounded by `timeoutMs`). */
export function runNode(
  script: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...args], {
      // A neutral working directory, so a developer's .env in the repository cannot leak in.
      cwd: options.cwd ?? tmpdir(),
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
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
