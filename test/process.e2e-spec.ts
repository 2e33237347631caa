import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CREDENTIALS_LINE,
  credentialsLines,
  freePort,
  runCli,
  startServer,
  type RunningServer,
} from './support/processes';
import { freshDatabaseUrl } from './support/test-app';

/** The real server process: what an operator sees in its logs, and how it stops. */
describe('the server process', () => {
  let server: RunningServer;
  let base: string;
  let env: Record<string, string>;
  let superClient: { client_id: string; client_secret: string };
  let drop: () => Promise<void>;

  before(async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tokenvakt-process-'));
    const fresh = await freshDatabaseUrl();
    drop = fresh.drop;
    const port = await freePort();
    env = {
      PORT: String(port),
      LOG_LEVEL: 'debug',
      // The drain test sends 30 concurrent logins of one user; each holds a reserved failure
      // until its password check passes, so the limit must be above 30.
      RATE_LIMIT_MAX_FAILURES: '100',
      DATABASE_URL: fresh.url.startsWith('sqlite:')
        ? `sqlite:${join(cwd, 'db.sqlite')}`
        : fresh.url,
    };
    server = await startServer(cwd, env);
    base = `http://127.0.0.1:${port}`;
    const [handedOver] = credentialsLines(server.stderr());
    assert.ok(handedOver, server.stderr());
    superClient = JSON.parse(
      readFileSync(join(cwd, handedOver.file), 'utf8'),
    ) as typeof superClient;
  });
  after(async () => {
    if (server.child.exitCode === null) await server.stop();
    await drop();
  });

  const form = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body).toString(),
    });
  const basic = (user: string, password: string) => ({
    Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });

  it('never writes a token, code, secret or password to its log, while logging every request', async () => {
    const password = 'Log-Test-Password-9f3a';
    assert.equal((await runCli(['users', 'add', 'carol', '--password', password], env)).code, 0);
    const secrets: string[] = [password, superClient.client_secret];

    const session = (await (
      await form(
        '/oauth2/token',
        { grant_type: 'password', username: 'carol', password },
        basic(superClient.client_id, superClient.client_secret),
      )
    ).json()) as { access_token: string; refresh_token: string };
    secrets.push(session.access_token, session.refresh_token);
    const registered = (await (
      await fetch(`${base}/oauth2/client/register`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${session.access_token}`,
        },
        body: JSON.stringify({
          name: 'Log test app',
          type: 'CONFIDENTIAL',
          description: 'x',
          redirect_uri: 'https://log.example/cb',
        }),
      })
    ).json()) as { client_id: string; client_secret: string };
    secrets.push(registered.client_secret);
    const authorize = await fetch(
      `${base}/oauth2/authorize?response_type=code&client_id=${registered.client_id}&scope=search&state=s`,
      {
        headers: { Authorization: `Bearer ${session.access_token}` },
        redirect: 'manual',
      },
    );
    const code = new URL(authorize.headers.get('location') ?? '').searchParams.get('code') ?? '';
    secrets.push(code);
    const tokens = (await (
      await form(
        '/oauth2/token',
        { grant_type: 'authorization_code', code },
        basic(registered.client_id, registered.client_secret),
      )
    ).json()) as { access_token: string; refresh_token: string };
    secrets.push(tokens.access_token, tokens.refresh_token);
    const refreshed = (await (
      await form(
        '/oauth2/token',
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
        basic(registered.client_id, registered.client_secret),
      )
    ).json()) as { access_token: string; refresh_token: string };
    secrets.push(refreshed.access_token, refreshed.refresh_token);
    await form(
      '/oauth2/introspect',
      { token: refreshed.access_token },
      basic(registered.client_id, registered.client_secret),
    );
    // Failures are logged too, and must not carry what was presented either.
    await form(
      '/oauth2/token',
      { grant_type: 'password', username: 'carol', password: 'Wrong-Password-77' },
      basic(superClient.client_id, superClient.client_secret),
    );
    await form('/oauth2/token', {
      grant_type: 'client_credentials',
      scope: 'search',
      client_id: registered.client_id,
      client_secret: 'tvs_wrong_secret_1234567890',
    });
    await form(
      '/oauth2/token',
      { grant_type: 'authorization_code', code },
      basic(registered.client_id, registered.client_secret),
    );
    await form(
      '/oauth2/revoke',
      { token: refreshed.refresh_token },
      basic(registered.client_id, registered.client_secret),
    );
    secrets.push('Wrong-Password-77', 'tvs_wrong_secret_1234567890');

    // One line per request, written when its response is finished: wait for the last of them.
    const requestLines = (): Array<Record<string, unknown>> =>
      server
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.msg === 'request');
    const deadline = Date.now() + 3000;
    while (requestLines().length < 10 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const requests = requestLines();
    assert.ok(requests.length >= 10, `${requests.length} request lines`);
    // The first super client's credentials are handed over once, on purpose, in one line on
    // stderr; nothing else may show a secret.
    const log = (server.stdout() + server.stderr())
      .split('\n')
      .filter((line) => !CREDENTIALS_LINE.test(line))
      .join('\n');
    for (const entry of requests) {
      assert.equal(typeof entry.request_id, 'string');
      assert.equal(typeof entry.method, 'string');
      assert.equal(typeof entry.route, 'string');
      assert.equal(typeof entry.status, 'number');
      assert.equal(typeof entry.duration_ms, 'number');
    }
    for (const secret of secrets) {
      assert.ok(secret.length >= 8);
      assert.ok(!log.includes(secret), `the log contains ${secret.slice(0, 8)}…`);
    }
  });

  it('on SIGTERM finishes every request it accepted, closes the pool and exits 0', async () => {
    const body = new URLSearchParams({
      super_client_id: superClient.client_id,
      super_client_secret: superClient.client_secret,
      token_type: 'access_token',
    }).toString();
    // A burst of requests that each take a while (a scrypt password check apiece), each on its
    // own connection.
    const burst = Array.from(
      { length: 30 },
      () =>
        new Promise<{ status: number } | { error: string }>((resolve) => {
          const req = httpRequest(
            `${base}/oauth2/token/list`,
            {
              method: 'POST',
              agent: false,
              headers: {
                'Content-Type': 'application/x-www-form-urlencoded',
                'X-Request-Id': `burst-${randomUUID()}`,
                ...basic('carol', 'Log-Test-Password-9f3a'),
              },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
              res.on('error', (error: NodeJS.ErrnoException) =>
                resolve({ error: error.code ?? 'aborted' }),
              );
            },
          );
          req.on('error', (error: NodeJS.ErrnoException) =>
            resolve({ error: error.code ?? String(error) }),
          );
          req.end(body);
        }),
    );
    await new Promise((resolve) => setTimeout(resolve, 40));
    const exitCode = server.stop();
    const results = await Promise.all(burst);
    assert.equal(await exitCode, 0);

    const answered = results.filter((r): r is { status: number } => 'status' in r);
    assert.ok(answered.length > 0, 'some requests were accepted before the signal');
    assert.deepEqual([...new Set(answered.map((r) => r.status))], [200], JSON.stringify(results));
    // Every request the server accepted was answered in full: each one it started (LOG_LEVEL
    // is debug here) is one a client got an answer to. A connection it never accepted was
    // refused, or reset by the kernel when it sat in the listen backlog as the socket closed.
    const started = server
      .stdout()
      .split('\n')
      .filter(
        (line) => line.includes('"request_id":"burst-') && line.includes('"msg":"request started"'),
      );
    assert.equal(started.length, answered.length, JSON.stringify(results));
    for (const r of results) {
      if ('error' in r)
        assert.match(r.error, /^(ECONNREFUSED|ECONNRESET)$/, JSON.stringify(results));
    }
    assert.match(server.stdout(), /"msg":"stopped"/);
  });
});
