import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/app-config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { parse } from 'yaml';
import { REPO_ROOT } from './support/processes';

/**
 * No Docker engine runs where the tests run, so this checks what can be checked of the
 * deployment files without one: their structure, and that they agree with the code.
 */
const read = (file: string): string => readFileSync(join(REPO_ROOT, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
}

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}` with the variables of a .env. */
function composeEnvironment(
  environment: Record<string, string | number>,
  dotEnv: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [
      name,
      String(value).replace(
        /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
        (_, variable: string, kind?: string, fallback?: string) => {
          const given = dotEnv[variable];
          if (given !== undefined && given !== '') return given;
          if (kind === '?') throw new Error(`compose would refuse: ${fallback}`);
          return kind === '-' ? (fallback ?? '') : '';
        },
      ),
    ]),
  );
}

describe('deployment files', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  };
  const dockerfile = read('Dockerfile');

  it('docker-compose runs tokenvakt against MySQL 8.4 once the database is healthy', () => {
    const db = compose.services.db;
    const app = compose.services.tokenvakt;
    assert.ok(db && app);
    assert.equal(db.image, 'mysql:8.4');
    assert.ok(db.healthcheck?.test.join(' ').includes('mysqladmin ping'));
    assert.ok(db.volumes?.some((v) => v.startsWith('db-data:')));
    assert.ok('db-data' in compose.volumes, 'the database volume is a named volume');
    assert.deepEqual(app.depends_on, { db: { condition: 'service_healthy' } });
    assert.equal(app.build, '.');
    assert.equal(app.environment?.DATABASE_URL, undefined);
    assert.equal(app.environment?.DATABASE_HOST, 'db');
    assert.equal(app.environment?.HOST, '0.0.0.0');
    assert.ok(
      app.volumes?.some((v) => v.endsWith(':/app/data')),
      "the super client's credentials file in data/ survives restarts",
    );
  });

  it("compose's environment, with a password full of URL characters, is a configuration tokenvakt accepts", () => {
    const env = composeEnvironment(compose.services.tokenvakt?.environment ?? {}, {
      MYSQL_PASSWORD: 'p@ss:w/o%r#d',
      MYSQL_ROOT_PASSWORD: 'root',
    });
    const config = loadConfig(env);
    assert.equal(config.issuer, 'http://127.0.0.1:8089', 'the published port, not 0.0.0.0');
    assert.equal(config.database.dialect, 'mysql');
    const options = dataSourceOptions(config.database, 'mysql') as {
      host?: string;
      port?: number;
      username?: string;
      password?: string;
      database?: string;
    };
    assert.deepEqual(
      [options.host, options.port, options.username, options.password, options.database],
      ['db', 3306, 'tokenvakt', 'p@ss:w/o%r#d', 'tokenvakt'],
    );
    const behindProxy = composeEnvironment(compose.services.tokenvakt?.environment ?? {}, {
      MYSQL_PASSWORD: 'x',
      ISSUER: 'https://korap.example/tokenvakt',
    });
    assert.equal(loadConfig(behindProxy).issuer, 'https://korap.example/tokenvakt');
  });

  it('the Dockerfile is multi-stage, runs as a non-root user with production dependencies only, and has a health check', () => {
    const stages = dockerfile.match(/^FROM /gm) ?? [];
    assert.ok(stages.length >= 2);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(runtime, /^USER node$/m);
    assert.match(dockerfile, /npm prune --omit=dev|npm ci --omit=dev/);
    assert.match(runtime, /^HEALTHCHECK .*\n?.*\/health\/ready/m);
    assert.doesNotMatch(runtime, /COPY .*src/);
  });

  it('the image starts the service the way the README and `npm start` do', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    assert.deepEqual(JSON.parse(cmd ?? '[]'), ['node', 'dist/main.js']);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, 'node dist/main.js');
    assert.match(read('README.md'), /`node dist\/main\.js` starts the server/);
  });

  it('.env.example lists every variable the configuration reads', () => {
    const config = read('src/config/app-config.ts');
    const read_ = [
      ...config.matchAll(/value\('([A-Z_]+)'/g),
      ...config.matchAll(/env\.([A-Z_]+)/g),
    ].map((m) => m[1]);
    const variables = [...new Set(read_)];
    assert.ok(variables.length >= 15, variables.join(','));
    const example = read('.env.example');
    for (const variable of variables) {
      assert.match(
        example,
        new RegExp(`^#? ?${variable}=`, 'm'),
        `${variable} is missing from .env.example`,
      );
    }
  });

  it('the image does not ship local state or secrets', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'data', '.env', '.git'])
      assert.ok(ignored.includes(entry), entry);
  });
});
