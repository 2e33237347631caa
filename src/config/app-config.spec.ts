import assert from 'node:assert/strict';
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
});
