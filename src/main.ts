import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { ClientRepository } from './clients/client.repository';
import { ClientsService } from './clients/clients.service';
import {
  ensureSuperClient,
  publicSuperClientProblem,
  superClientFile,
} from './clients/super-client-bootstrap';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import { loadEnvFile } from './config/env-file';
import { configureApp, createHttpAdapter } from './configure-app';
import { waitForDatabase } from './database/wait-for-database';
import { createPino, JsonLogger } from './observability/json-logger';
import { httpLifecycle } from './observability/request-observer';

/** How long SIGTERM waits for in-flight requests before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Fails with one line a person understands, and exit code 1. */
function fail(message: string): never {
  process.stderr.write(`tokenvakt: ${message}\n`);
  process.exit(1);
}

function readConfig(): AppConfig {
  try {
    loadEnvFile();
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`);
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const pino = createPino(config.logLevel);
  const logger = new JsonLogger(pino);
  await waitForDatabase(config.database, config.databaseConnectTimeout, (message) =>
    logger.warn(message, 'Database'),
  );
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    createHttpAdapter(config),
    {
      bodyParser: false,
      logger,
      abortOnError: false,
    },
  );
  configureApp(app, pino);

  const problem = await publicSuperClientProblem(app.get(ClientRepository));
  if (problem) fail(problem);
  // The credentials go to the file and to stderr as one plain line, never to stdout: that is
  // the JSON log, which log shippers collect.
  const credentialsFile = superClientFile(config.database);
  const superClient = await ensureSuperClient(
    app.get(ClientsService),
    app.get(ClientRepository),
    app.get(DataSource).manager,
    credentialsFile,
  );
  if (superClient) {
    process.stderr.write(
      `tokenvakt: created the first super client; its secret is shown only now` +
        `${credentialsFile === undefined ? '' : ` and kept in ${credentialsFile}`}: ` +
        `${JSON.stringify(superClient)}\n`,
    );
  }
  await app.listen(config.port, config.host);
  logger.log(
    `listening on http://${config.host}:${config.port}; database ${describeDatabase(config)}${
      config.ldap ? `; users in LDAP at ${config.ldap.urls.join(' ')}` : ''
    }; issuer ${config.issuer}`,
    'tokenvakt',
  );

  // SIGTERM: stop accepting connections, let in-flight requests finish (bounded), close the
  // database pool and the other resources, exit 0.
  let stopping = false;
  const drain = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: draining in-flight requests`, 'tokenvakt');
    const server = app.getHttpServer();
    httpLifecycle.startDraining();
    // Stop accepting connections. Not http.Server#close yet: since Node 19 it also closes
    // "idle" connections, among them accepted ones whose request is still being read.
    NetServer.prototype.close.call(server);
    await waitUntilQuiet(SHUTDOWN_GRACE_MS);
    try {
      // Closes what is left (idle keep-alive connections), then the pool and the rest.
      server.closeAllConnections();
      await app.close();
      logger.log('stopped', 'tokenvakt');
      process.exit(0);
    } catch (error) {
      fail(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  process.once('SIGTERM', () => void drain('SIGTERM'));
  process.once('SIGINT', () => void drain('SIGINT'));
}

/** Where the data lives, for the start-up line: never the credentials of a URL. */
function describeDatabase(config: AppConfig): string {
  if (config.database.dialect === 'sqlite') return `SQLite ${config.database.path}`;
  const url = new URL(config.database.url);
  return `MySQL/MariaDB ${url.host}${url.pathname}`;
}

/** Waits until no request has been in flight for a moment, or until `limitMs` has passed. */
async function waitUntilQuiet(limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  let quietChecks = 0;
  while (quietChecks < 3 && Date.now() < deadline) {
    quietChecks = httpLifecycle.inFlight.size === 0 ? quietChecks + 1 : 0;
    await sleep(25);
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  fail(`could not start: ${message.split('\n')[0] ?? message}`);
});
