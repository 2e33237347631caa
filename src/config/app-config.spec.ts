import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ConfigError,
  KORAP_SCOPES,
  loadConfig,
  parseDatabaseUrl,
  parseDuration,
} from './app-config';

describe('parseDuration', () => {
  it('reads s, m, h and d as whole seconds', () => {
    assert.equal(parseDuration('X', '30s'), 30);
    assert.equal(parseDuration('X', '10m'), 600);
    assert.equal(parseDuration('X', '1h'), 3600);
    assert.equal(parseDuration('X', '365d'), 31_536_000);
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['', '10', '1w', '-1d', '0s', '1.5h', 'abc', '1 d', '999999999d']) {
      assert.throws(
        () => parseDuration('ACCESS_TOKEN_TTL', bad),
        (e: unknown) => e instanceof ConfigError && e.variable === 'ACCESS_TOKEN_TTL',
        bad,
      );
    }
  });
});

describe('parseDatabaseUrl', () => {
  it('knows sqlite paths, sqlite::memory: and mysql URLs', () => {
    assert.deepEqual(parseDatabaseUrl('sqlite:./data/x.sqlite'), {
      dialect: 'sqlite',
      path: './data/x.sqlite',
    });
    assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { dialect: 'sqlite', path: ':memory:' });
    assert.deepEqual(parseDatabaseUrl('mysql://u:p@db:3306/tv'), {
      dialect: 'mysql',
      url: 'mysql://u:p@db:3306/tv',
    });
  });

  it('refuses other schemes and URLs without a database', () => {
    for (const bad of ['postgres://x/y', 'sqlite:', 'mysql://host', 'mysql://host/', 'nonsense']) {
      assert.throws(() => parseDatabaseUrl(bad), ConfigError, bad);
    }
  });
});

describe('loadConfig', () => {
  it('has the documented defaults (README: Configuration)', () => {
    const config = loadConfig({});
    assert.deepEqual(config.database, { dialect: 'sqlite', path: './data/tokenvakt.sqlite' });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8089);
    assert.equal(config.accessTokenTtl, 86_400);
    assert.equal(config.publicAccessTokenTtl, 365 * 86_400);
    assert.equal(config.refreshTokenTtl, 365 * 86_400);
    assert.equal(config.authorizationCodeTtl, 600);
    assert.deepEqual(config.scopes, [...KORAP_SCOPES].sort());
    assert.equal(config.logLevel, 'info');
    assert.equal(config.migrationsRun, true);
    assert.equal(config.refreshTokenReuseGrace, 10);
    assert.deepEqual(config.trustProxy, []);
  });

  it('reads REFRESH_TOKEN_REUSE_GRACE as a duration, or 0 for none', () => {
    assert.equal(loadConfig({ REFRESH_TOKEN_REUSE_GRACE: '1m' }).refreshTokenReuseGrace, 60);
    assert.equal(loadConfig({ REFRESH_TOKEN_REUSE_GRACE: '0' }).refreshTokenReuseGrace, 0);
    assert.throws(
      () => loadConfig({ REFRESH_TOKEN_REUSE_GRACE: '-1s' }),
      /REFRESH_TOKEN_REUSE_GRACE: .*"-1s"/,
    );
  });

  it('reads TRUST_PROXY as IPv4 and IPv6 addresses and CIDR ranges', () => {
    assert.deepEqual(
      loadConfig({ TRUST_PROXY: ' 127.0.0.1, 10.0.0.0/8,::1,fd00::/8 ' }).trustProxy,
      ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8'],
    );
  });

  it('refuses a bad TRUST_PROXY entry with one line naming the variable and the entry', () => {
    for (const bad of [
      'localhost',
      '10.0.0.0/33',
      '10.0.0.0/0',
      '10.0.0.0/',
      '1.2.3',
      '::1/129',
      '10.0.0.1/8/8',
      '*',
    ]) {
      assert.throws(
        () => loadConfig({ TRUST_PROXY: `127.0.0.1,${bad}` }),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.message ===
            `TRUST_PROXY: expected comma-separated IP addresses or CIDR ranges such as 10.0.0.0/8, got "${bad}"`,
        bad,
      );
    }
  });

  it('requires PKCE from public clients by default; PKCE_REQUIRED takes all or none', () => {
    assert.equal(loadConfig({}).pkceRequired, 'public');
    assert.equal(loadConfig({ PKCE_REQUIRED: 'all' }).pkceRequired, 'all');
    assert.equal(loadConfig({ PKCE_REQUIRED: 'none' }).pkceRequired, 'none');
    for (const bad of ['plain', 'Public', 'true', 'S256']) {
      assert.throws(
        () => loadConfig({ PKCE_REQUIRED: bad }),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.message === `PKCE_REQUIRED: expected public, all or none, got "${bad}"`,
        bad,
      );
    }
  });

  it('reveals personal tokens for 10m by default (PERSONAL_TOKEN_REVEAL_WINDOW)', () => {
    assert.equal(loadConfig({}).personalTokenRevealWindow, 600);
    assert.equal(loadConfig({ PERSONAL_TOKEN_REVEAL_WINDOW: '1s' }).personalTokenRevealWindow, 1);
    assert.throws(
      () => loadConfig({ PERSONAL_TOKEN_REVEAL_WINDOW: '0s' }),
      /^Error: PERSONAL_TOKEN_REVEAL_WINDOW: /,
    );
  });

  it('reads REDIS_URL, or its older name RATE_LIMIT_REDIS_URL, but not two different ones', () => {
    const url = 'redis://127.0.0.1:6379';
    assert.equal(loadConfig({}).redisUrl, undefined);
    assert.equal(loadConfig({ REDIS_URL: url }).redisUrl, url);
    assert.equal(loadConfig({ RATE_LIMIT_REDIS_URL: url }).redisUrl, url);
    assert.equal(loadConfig({ REDIS_URL: url, RATE_LIMIT_REDIS_URL: url }).redisUrl, url);
    assert.throws(
      () => loadConfig({ REDIS_URL: url, RATE_LIMIT_REDIS_URL: 'redis://other:6379' }),
      (e: unknown) => e instanceof ConfigError && e.variable === 'RATE_LIMIT_REDIS_URL',
    );
    assert.throws(
      () => loadConfig({ REDIS_URL: 'http://x' }),
      (e: unknown) => e instanceof ConfigError && e.variable === 'REDIS_URL',
    );
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ PORT: '' }).port, 8089);
  });

  it('reads SCOPES as a sorted, distinct list without the reserved "all"', () => {
    assert.deepEqual(loadConfig({ SCOPES: 'search, match_info,search,all' }).scopes, [
      'match_info',
      'search',
    ]);
    assert.throws(() => loadConfig({ SCOPES: 'Search Me' }), /SCOPES/);
  });

  it('builds a mysql URL from DATABASE_HOST/PORT/USER/PASSWORD/NAME, encoding each part', () => {
    const config = loadConfig({
      DATABASE_HOST: 'db',
      DATABASE_USER: 'tv user',
      DATABASE_PASSWORD: 'p@ss:w/o%r#d?',
      DATABASE_NAME: 'tokenvakt',
    });
    assert.equal(config.database.dialect, 'mysql');
    const url = new URL(config.database.dialect === 'mysql' ? config.database.url : '');
    assert.equal(decodeURIComponent(url.password), 'p@ss:w/o%r#d?');
    assert.equal(decodeURIComponent(url.username), 'tv user');
    assert.equal(url.host, 'db:3306');
    assert.equal(url.pathname, '/tokenvakt');
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'sqlite::memory:', DATABASE_HOST: 'db' }),
      /DATABASE_URL: give either/,
    );
    assert.throws(() => loadConfig({ DATABASE_HOST: 'db', DATABASE_NAME: 'x' }), /DATABASE_USER/);
    assert.throws(
      () =>
        loadConfig({
          DATABASE_HOST: 'db',
          DATABASE_USER: 'u',
          DATABASE_NAME: 'x',
          DATABASE_PORT: 'x',
        }),
      /DATABASE_PORT/,
    );
  });

  it('names HOST for an impossible host, and asks for ISSUER when HOST is a wildcard', () => {
    assert.throws(() => loadConfig({ HOST: '999.1.1.1' }), /HOST: /);
    assert.throws(() => loadConfig({ HOST: 'bad host' }), /HOST: /);
    assert.equal(loadConfig({ HOST: 'localhost' }).issuer, 'http://localhost:8089');
    assert.equal(loadConfig({ HOST: '::1' }).issuer, 'http://[::1]:8089');
    for (const wildcard of ['0.0.0.0', '::']) {
      assert.throws(() => loadConfig({ HOST: wildcard }), /ISSUER: /);
      assert.equal(
        loadConfig({ HOST: wildcard, ISSUER: 'https://auth.example.org' }).issuer,
        'https://auth.example.org',
      );
    }
  });

  it('reads METRICS_TOKEN and DOCS_ENABLED', () => {
    assert.equal(loadConfig({}).metricsToken, undefined);
    assert.equal(loadConfig({}).docsEnabled, true);
    assert.equal(
      loadConfig({ METRICS_TOKEN: 'a-long-enough-token' }).metricsToken,
      'a-long-enough-token',
    );
    assert.throws(() => loadConfig({ METRICS_TOKEN: 'short' }), /METRICS_TOKEN/);
    assert.equal(loadConfig({ DOCS_ENABLED: 'false' }).docsEnabled, false);
    assert.throws(() => loadConfig({ DOCS_ENABLED: 'no' }), /DOCS_ENABLED/);
  });
});

describe('USER_STORE and the LDAP settings (README: Users in LDAP)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'tokenvakt-ldap-config-'));
  const file = (name: string, content: string): string => {
    writeFileSync(join(folder, name), content);
    return join(folder, name);
  };
  const ldap = {
    USER_STORE: 'ldap',
    LDAP_URL: 'ldap://ldap1.example.org, ldap://[::1]:1389',
    LDAP_BIND_DN: 'cn=tokenvakt,dc=example,dc=org',
    LDAP_BIND_PASSWORD: 'service-pw',
    LDAP_SEARCH_BASE: 'ou=people,dc=example,dc=org',
  };

  it('is local by default, and reads nothing of LDAP then', () => {
    const config = loadConfig({ LDAP_URL: 'not a url' });
    assert.equal(config.userStore, 'local');
    assert.equal(config.ldap, undefined);
    assert.throws(() => loadConfig({ USER_STORE: 'LDAP' }), /USER_STORE: expected local or ldap/);
  });

  it('has the documented defaults with USER_STORE=ldap', () => {
    const config = loadConfig(ldap);
    assert.equal(config.userStore, 'ldap');
    assert.deepEqual(config.ldap, {
      urls: ['ldap://ldap1.example.org', 'ldap://[::1]:1389'],
      startTls: false,
      ca: undefined,
      bindDn: 'cn=tokenvakt,dc=example,dc=org',
      bindPassword: 'service-pw',
      searchBase: 'ou=people,dc=example,dc=org',
      searchFilter: '(uid={login})',
      usernameAttribute: 'uid',
      timeout: 5,
      poolSize: 4,
    });
  });

  it('reads the CA and the bind password from files, without the last line break', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const config = loadConfig({
      ...ldap,
      LDAP_URL: 'ldap://a.example.org ldap://b.example.org:389',
      LDAP_START_TLS: 'true',
      LDAP_CA_FILE: file('ca.pem', pem),
      LDAP_BIND_PASSWORD: '',
      LDAP_BIND_PASSWORD_FILE: file('password', 'pass word\n'),
      LDAP_SEARCH_FILTER: '(&(|(uid={login})(mail={login}))(notBlocked=1))',
      LDAP_USERNAME_ATTRIBUTE: 'sAMAccountName',
      LDAP_TIMEOUT: '2s',
      LDAP_POOL_SIZE: '8',
    }).ldap;
    assert.deepEqual(config?.urls, ['ldap://a.example.org', 'ldap://b.example.org:389']);
    assert.equal(config?.startTls, true);
    assert.equal(config?.ca, pem);
    assert.equal(config?.bindPassword, 'pass word');
    assert.equal(config?.usernameAttribute, 'sAMAccountName');
    assert.equal(config?.timeout, 2);
    assert.equal(config?.poolSize, 8);
  });

  it('stops with one line naming the variable that is missing or malformed', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ LDAP_URL: '' }, 'LDAP_URL'],
      [{ LDAP_URL: 'http://ldap.example.org' }, 'LDAP_URL'],
      [{ LDAP_URL: 'ldap://ldap.example.org/dc=example?uid' }, 'LDAP_URL'],
      [{ LDAP_URL: 'ldaps://a.example.org', LDAP_START_TLS: 'true' }, 'LDAP_START_TLS'],
      [{ LDAP_START_TLS: 'yes' }, 'LDAP_START_TLS'],
      [{ LDAP_CA_FILE: join(folder, 'missing.pem') }, 'LDAP_CA_FILE'],
      [{ LDAP_CA_FILE: file('not-pem', 'hello') }, 'LDAP_CA_FILE'],
      [{ LDAP_BIND_DN: '' }, 'LDAP_BIND_DN'],
      [{ LDAP_BIND_PASSWORD: '' }, 'LDAP_BIND_PASSWORD'],
      [{ LDAP_BIND_PASSWORD_FILE: file('pw2', 'x') }, 'LDAP_BIND_PASSWORD'],
      [
        { LDAP_BIND_PASSWORD: '', LDAP_BIND_PASSWORD_FILE: file('empty', '\n') },
        'LDAP_BIND_PASSWORD_FILE',
      ],
      [{ LDAP_SEARCH_BASE: ' ' }, 'LDAP_SEARCH_BASE'],
      [{ LDAP_SEARCH_FILTER: '(uid=alice)' }, 'LDAP_SEARCH_FILTER'],
      [{ LDAP_SEARCH_FILTER: 'uid={login}' }, 'LDAP_SEARCH_FILTER'],
      [{ LDAP_SEARCH_FILTER: '(&(uid={login})' }, 'LDAP_SEARCH_FILTER'],
      // Kustvakt's placeholders: ${login}, and the password compared in the filter.
      [{ LDAP_SEARCH_FILTER: '(uid=${login})' }, 'LDAP_SEARCH_FILTER'],
      [{ LDAP_SEARCH_FILTER: '(&(uid={login})(userPassword=${password}))' }, 'LDAP_SEARCH_FILTER'],
      [{ LDAP_USERNAME_ATTRIBUTE: 'u id' }, 'LDAP_USERNAME_ATTRIBUTE'],
      [{ LDAP_TIMEOUT: '5' }, 'LDAP_TIMEOUT'],
      [{ LDAP_POOL_SIZE: '0' }, 'LDAP_POOL_SIZE'],
    ];
    for (const [change, variable] of cases) {
      assert.throws(
        () => loadConfig({ ...ldap, ...change }),
        (e: unknown) => e instanceof ConfigError && e.variable === variable,
        JSON.stringify(change),
      );
    }
  });
});
