import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { OAuthError } from '../common/oauth-error';
import { ConfigError, loadConfig } from '../config/app-config';
import { CliModule } from './cli.module';
import { runCommand, UsageError, USAGE } from './commands';

/** Reads one line of standard input (a password piped in or typed). */
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

/**
 * The operator CLI (README: Command line). Standard output carries only the command's JSON result;
 * everything else goes to standard error, so the output can be piped into jq.
 */
async function main(argv: string[]): Promise<number> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env);
  // `migrate` applies (and reports) the pending migrations itself; every other command
  // starts like the server does, applying them first unless MIGRATIONS_RUN=false.
  const migrationsRun = argv[0] !== 'migrate' && config.migrationsRun;
  // No query timeout for an operator's command: a migration of a big table may take minutes.
  const app = await NestFactory.createApplicationContext(
    CliModule.forRoot({ ...config, migrationsRun, databaseQueryTimeout: 0 }),
    {
      logger: false,
      abortOnError: false,
    },
  );
  try {
    const output = await runCommand(app, argv, readStdinLine);
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
      process.stderr.write(`tokenvakt: ${error.message}\n\n${USAGE}\n`);
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
