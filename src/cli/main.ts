import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createInterface } from 'node:readline';
import { OAuthError } from '../common/oauth-error';
import { ConfigError, loadConfig } from '../config/app-config';
import { loadEnvFile } from '../config/env-file';
import { CliModule } from './cli.module';
import { helpText, parseInvocation, runCommand, UsageError, type PasswordSource } from './commands';

/** Reads one line of standard input (a password piped in). */
function readStdinLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: process.stdin });
    let answered = false;
    lines.once('line', (line) => {
      answered = true;
      lines.close();
      resolve(line);
    });
    lines.once('close', () => {
      if (!answered) reject(new UsageError('expected a password on standard input'));
    });
  });
}

/** Asks on the terminal without echoing what is typed (the prompt goes to stderr). */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const finish = (): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: Buffer): void => {
      for (const character of chunk.toString('utf8')) {
        if (character === '\r' || character === '\n') {
          finish();
          resolve(typed.join(''));
          return;
        }
        if (character === '\u0003' || character === '\u0004') {
          finish();
          reject(new Error('no password given'));
          return;
        }
        if (character === '\u007f' || character === '\b') typed = typed.slice(0, -1);
        else typed.push(character);
      }
    };
    // Raw mode (no echo) before the prompt: whoever types at once is not echoed either.
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
    process.stderr.write(question);
  });
}

/**
 * A password for `users add` and `users passwd` without `--password`: typed twice on a
 * terminal, never echoed; one line from a pipe, for scripts.
 */
const readPassword: PasswordSource = async () => {
  if (!process.stdin.isTTY) return readStdinLine();
  const password = await promptHidden('Password: ');
  if ((await promptHidden('Repeat the password: ')) !== password) {
    throw new Error('the two passwords differ');
  }
  return password;
};

/**
 * The operator CLI (README: Command line). Standard output carries only the command's JSON
 * result (or the help asked for); everything else goes to standard error, so the output can be
 * piped into jq.
 */
async function main(argv: string[]): Promise<number> {
  const invocation = parseInvocation(argv);
  if (invocation.kind === 'help') {
    process.stdout.write(`${invocation.text}\n`);
    return 0;
  }
  loadEnvFile();
  const config = loadConfig(process.env);
  // `migrate` applies (and reports) the pending migrations itself; every other command
  // starts like the server does, applying them first unless MIGRATIONS_RUN=false.
  const migrationsRun = invocation.name !== 'migrate' && config.migrationsRun;
  // No query timeout for an operator's command: a migration of a big table may take minutes.
  const app = await NestFactory.createApplicationContext(
    CliModule.forRoot({ ...config, migrationsRun, databaseQueryTimeout: 0 }),
    {
      logger: false,
      abortOnError: false,
    },
  );
  try {
    const output = await runCommand(app, argv, readPassword);
    process.stdout.write(JSON.stringify(output, null, 2) + '\n');
    return 0;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`tokenvakt: ${error.message}\n\n${helpText(error.group)}\n`);
      process.exit(2);
    }
    const message =
      error instanceof OAuthError
        ? error.description
        : error instanceof ConfigError
          ? `invalid configuration: ${error.message}`
          : error instanceof Error
            ? error.message
            : String(error);
    process.stderr.write(`tokenvakt: ${message}\n`);
    process.exit(1);
  },
);
