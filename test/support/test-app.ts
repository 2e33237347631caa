import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { configureApp, createHttpAdapter } from '../../src/configure-app';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createPino } from '../../src/observability/json-logger';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  dataSource: DataSource;
  /** A supertest agent bound to the app's HTTP server. */
  http: () => ReturnType<typeof request>;
  /** Fetches a provider of the running app (for test setup, never for the behaviour under test). */
  get<T>(type: abstract new (...args: never[]) => T): T;
  close(): Promise<void>;
}

/**
 * Where e2e tests keep their data: an in-memory SQLite database by default, or, when
 * DATABASE_URL names a MySQL/MariaDB server, a fresh database created for this one app and
 * dropped afterwards, so no test depends on what another left behind.
 */
export async function freshDatabaseUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (base === undefined || base === '' || base.startsWith('sqlite:')) {
    return { url: 'sqlite::memory:', drop: async () => {} };
  }
  const url = new URL(base);
  const name = `${url.pathname.slice(1)}_${randomBytes(6).toString('hex')}`;
  // Connect without a database: the named one need not exist; only its name is a prefix.
  const admin = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

/**
 * Boots the real AppModule with production settings (plus `env`) on a fresh database, or on
 * `env.DATABASE_URL` when a test shares one with another process (left in place on close).
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database =
    env.DATABASE_URL === undefined
      ? await freshDatabaseUrl()
      : { url: env.DATABASE_URL, drop: async () => {} };
  const config = loadConfig({ LOG_LEVEL: 'error', ...env, DATABASE_URL: database.url });
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config)],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), {
    bodyParser: false,
    logger: ['fatal', 'error'],
  });
  configureApp(app, createPino(config.logLevel));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const server = app.getHttpServer() as Parameters<typeof request>[0];
  return {
    app,
    config,
    dataSource: app.get(DataSource),
    http: () => request(server),
    get: (type) => app.get(type),
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}
