import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  authorizeAndExchange,
  clientBasic,
  createClient,
  createSuperClient,
  createUser,
  listTokens,
  login,
} from './support/factories';
import { expectOAuthError as expectError } from './support/assertions';
import { TcpProxy } from './support/tcp-proxy';
import { bearer, freshDatabaseUrl, startTestApp, type TestApp } from './support/test-app';

describe('operations: health, metrics, request ids, OpenAPI', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('GET /health/live and /health/ready answer 200 while the database answers', async () => {
    const live = await t.http().get('/health/live');
    assert.equal(live.status, 200);
    assert.deepEqual(live.body, { status: 'ok' });
    const ready = await t.http().get('/health/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ok', checks: { database: 'up' } });
  });

  it('echoes a valid X-Request-Id and makes one when it is missing or malformed', async () => {
    const given = await t.http().get('/health/live').set('X-Request-Id', 'dashboard-42.a');
    assert.equal(given.headers['x-request-id'], 'dashboard-42.a');
    const made = await t.http().get('/health/live');
    assert.match(made.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    const bad = await t.http().get('/health/live').set('X-Request-Id', 'no spaces <allowed>');
    assert.notEqual(bad.headers['x-request-id'], 'no spaces <allowed>');
  });

  it('GET /metrics counts requests by route pattern, tokens by grant, and failed authentications', async () => {
    const superClient = await createSuperClient(t);
    const client = await createClient(t);
    const user = await createUser(t);
    const session = await login(t, superClient, user);
    const issued = await authorizeAndExchange(t, { session, client });
    await listTokens(t, superClient, bearer(session.access_token));
    await t
      .http()
      .post('/oauth2/token')
      .set('Authorization', clientBasic({ ...client, client_secret: 'tvs_wrong' }))
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'search' });
    // Revoked twice: only the request that revoked a live token counts.
    for (let i = 0; i < 2; i++) {
      await t
        .http()
        .post('/oauth2/revoke')
        .set('Authorization', clientBasic(client))
        .type('form')
        .send({ token: issued.access_token });
    }
    // A path with values in it is labelled by its pattern, never by the values.
    await t.http().get(`/admin/users/${user.username}/tokens`);

    const res = await t.http().get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] as string, /^text\/plain/);
    const text = res.text;
    assert.match(
      text,
      /tokenvakt_http_requests_total\{method="POST",route="\/oauth2\/token\/list",status="200"\} 1/,
    );
    assert.match(
      text,
      /tokenvakt_http_request_duration_seconds_bucket\{le="0\.1",method="POST",route="\/oauth2\/token",status="200"\}/,
    );
    assert.match(text, /route="\/admin\/users\/:username\/tokens"/);
    assert.match(
      text,
      /tokenvakt_tokens_issued_total\{grant_type="password",token_type="access_token"\} 1/,
    );
    assert.match(
      text,
      /tokenvakt_tokens_issued_total\{grant_type="authorization_code",token_type="refresh_token"\} 1/,
    );
    assert.match(text, /tokenvakt_authentication_failures_total\{kind="client"\} 1/);
    assert.match(text, /tokenvakt_revocations_total\{cause="client"\} 1/);
    assert.match(text, /tokenvakt_db_pool_connections\{state="total"\} [1-9]/);
    assert.match(text, /tokenvakt_process_cpu_user_seconds_total/);
    // No user name, client id or token in any label.
    for (const value of [
      user.username,
      client.client_id,
      session.access_token,
      issued.access_token,
    ]) {
      assert.ok(!text.includes(value), `metrics contain ${value}`);
    }
  });

  it('serves an OpenAPI description generated from the code at /docs-json, and the UI at /docs', async () => {
    const json = await t.http().get('/docs-json');
    assert.equal(json.status, 200);
    const doc = json.body as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, unknown>; requestBody?: { content: Record<string, unknown> } }
        >
      >;
    };
    assert.match(doc.openapi, /^3\./);
    for (const path of [
      '/oauth2/token/list',
      '/oauth2/token',
      '/oauth2/authorize',
      '/oauth2/revoke',
      '/oauth2/revoke/super',
      '/oauth2/revoke/super/all',
      '/oauth2/introspect',
      '/oauth2/client/register',
      '/oauth2/client/list',
      '/oauth2/client/{client_id}',
      '/oauth2/client/deregister/{client_id}',
      '/oauth2/client/reset',
      '/admin/users/{username}/tokens',
      '/admin/users/{username}/tokens/{handle}',
      '/.well-known/oauth-authorization-server',
      '/health/ready',
      '/metrics',
    ]) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
    const list = doc.paths['/oauth2/token/list']?.post;
    assert.deepEqual(Object.keys(list?.responses ?? {}).sort(), [
      '200',
      '400',
      '401',
      '403',
      '415',
      '429',
    ]);
    assert.ok(list?.requestBody?.content['application/x-www-form-urlencoded']);
    const ui = await t.http().get('/docs');
    assert.equal(ui.status, 200);
    assert.match(ui.headers['content-type'] as string, /text\/html/);
  });
});

describe('operations: who may read /metrics and /docs', () => {
  const METRICS_TOKEN = 'scrape-me-7f3a9c1e2b4d';
  let guarded: TestApp;
  let closed: TestApp;

  before(async () => {
    guarded = await startTestApp({ METRICS_TOKEN });
    closed = await startTestApp({ DOCS_ENABLED: 'false' });
  });
  after(async () => {
    await guarded.close();
    await closed.close();
  });

  it('with METRICS_TOKEN, /metrics answers only that Bearer token; without it, anyone', async () => {
    const ok = await guarded.http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    assert.equal(ok.status, 200);
    assert.match(ok.text, /tokenvakt_http_requests_total/);
    for (const authorization of [
      undefined,
      'Bearer wrong-token-0000000000',
      `Basic ${METRICS_TOKEN}`,
    ]) {
      const req = guarded.http().get('/metrics');
      if (authorization) req.set('Authorization', authorization);
      const res = await req;
      expectError(res, 401, 'invalid_token');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="tokenvakt"');
      assert.doesNotMatch(res.text, /tokenvakt_http_requests_total/);
    }
    assert.equal((await closed.http().get('/metrics')).status, 200);
  });

  it('with DOCS_ENABLED=false, /docs and /docs-json are not served', async () => {
    for (const path of ['/docs', '/docs/', '/docs-json']) {
      expectError(await closed.http().get(path), 404, 'not_found');
    }
  });

  it('serves /docs, /docs/, /docs/index.html and /docs/?x=1 so that the page finds its assets', async () => {
    for (const path of ['/docs', '/docs/', '/docs/index.html', '/docs/?x=1']) {
      let res = await guarded.http().get(path);
      let url = new URL(path, 'http://tokenvakt.test');
      if (res.status === 302) {
        url = new URL(String(res.headers.location), url);
        res = await guarded.http().get(url.pathname + url.search);
      }
      assert.equal(res.status, 200, path);
      const assets = [...res.text.matchAll(/(?:href|src)="([^"]+\.(?:css|js))"/g)].map(
        (m) => m[1] ?? '',
      );
      assert.ok(assets.length >= 3, path);
      for (const asset of assets) {
        const resolved = new URL(asset, url);
        const loaded = await guarded.http().get(resolved.pathname);
        assert.equal(loaded.status, 200, `${path}: ${asset} resolves to ${resolved.pathname}`);
      }
    }
  });
});

describe('the database going away under a running server (MySQL/MariaDB)', () => {
  let proxy: TcpProxy | undefined;
  let t: TestApp | undefined;
  let drop: () => Promise<void> = async () => {};

  before(async () => {
    const fresh = await freshDatabaseUrl();
    drop = fresh.drop;
    if (fresh.url.startsWith('sqlite:')) return;
    const url = new URL(fresh.url);
    proxy = new TcpProxy(url.hostname, Number(url.port || 3306));
    url.port = String(await proxy.start());
    url.hostname = '127.0.0.1';
    t = await startTestApp({ DATABASE_URL: url.toString() });
  });
  after(async () => {
    await t?.close().catch(() => undefined);
    await proxy?.stop();
    await drop();
  });

  it('turns /health/ready and database-backed routes into 503 JSON within a second, and recovers without a restart', async (context) => {
    if (!t || !proxy) return context.skip('needs DATABASE_URL=mysql://...');
    const app = t;
    const superClient = await createSuperClient(app);
    const user = await createUser(app);
    const session = await login(app, superClient, user);
    assert.equal((await listTokens(app, superClient, bearer(session.access_token))).status, 200);

    await proxy.cut();
    const started = Date.now();
    const ready = await app.http().get('/health/ready');
    const list = await listTokens(app, superClient, bearer(session.access_token));
    const elapsed = Date.now() - started;
    assert.equal(ready.status, 503);
    assert.equal(ready.body.checks.database, 'down');
    assert.equal(list.status, 503);
    assert.deepEqual(Object.keys(list.body as object).sort(), ['error', 'error_description']);
    assert.equal(list.body.error, 'temporarily_unavailable');
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    assert.equal((await app.http().get('/health/live')).status, 200);

    await proxy.restore();
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await app.http().get('/health/ready')).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 200);
    assert.equal((await listTokens(app, superClient, bearer(session.access_token))).status, 200);
  });
});
