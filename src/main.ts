import 'reflect-metadata';
import { ConsoleLogger, type LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { AppModule } from './app.module';
import { ClientRepository } from './clients/client.repository';
import { ClientsService } from './clients/clients.service';
import { ensureSuperClient, SUPER_CLIENT_FILE } from './clients/super-client-bootstrap';
import { ConfigError, loadConfig, type AppConfig, type LogLevel } from './config/app-config';
import { configureApp } from './configure-app';
import { waitForDatabase } from './database/wait-for-database';

const NEST_LOG_LEVELS: Record<LogLevel, NestLogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Fails with one line a person understands, and exit code 1. */
function fail(message: string): never {
  process.stderr.write(`tokenvakt: ${message}\n`);
  process.exit(1);
}

function readConfig(): AppConfig {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`);
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = new ConsoleLogger('tokenvakt', {
    json: true,
    logLevels: NEST_LOG_LEVELS[config.logLevel],
  });
  await waitForDatabase(config.database, config.databaseConnectTimeout, (message) =>
    logger.warn(message),
  );
  const app = await NestFactory.create(AppModule.forRoot(config), {
    bodyParser: false,
    logger,
    abortOnError: false,
  });
  configureApp(app);

  const superClient = await ensureSuperClient(app.get(ClientsService), app.get(ClientRepository));
  if (superClient) {
    process.stdout.write(
      `Created the first super client; its secret is shown only now and kept in ${SUPER_CLIENT_FILE}:\n` +
        `${JSON.stringify(superClient)}\n`,
    );
  }
  await app.listen(config.port, config.host);
  logger.log(`listening on http://${config.host}:${config.port}`);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  fail(`could not start: ${message.split('\n')[0] ?? message}`);
});
