/**
 * The benchmark's baseline: a bare `node:http` server on a `mysql2/promise` pool, with no
 * framework, that answers the benchmarked routes with the same SQL tokenvakt sends (bench/sql.ts),
 * the same digests, the same client checks and the same rows, so that `tokenvakt / baseline`
 * measures what everything above the driver costs.
 *
 * Routes: POST /oauth2/token/list, /oauth2/introspect, /oauth2/token (client_credentials
 * only), /oauth2/revoke/super. It reuses tokenvakt's framework-free helpers (secrets.ts,
 * basic-credentials.ts, app-config.ts) so digests, header parsing and scopes cannot drift.
 *
 * Environment: DATABASE_URL (mysql://...), HOST (127.0.0.1), PORT (8090), ACCESS_TOKEN_TTL,
 * SCOPES as for tokenvakt.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createPool, type Pool, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import { decodeBasicCredentials, parseAuthorizationHeader } from '../src/auth/basic-credentials';
import {
  constantTimeEquals,
  digestSecret,
  generateId,
  generateSecret,
  SECRET_PREFIX,
  UNMATCHABLE_DIGEST,
} from '../src/auth/secrets';
import { ALL_SCOPE, loadConfig } from '../src/config/app-config';
import * as SQL from './sql';

const BODY_LIMIT = 64 * 1024;
const LAST_USED_RESOLUTION_MS = 60_000;
const MAX_RESULTS_LIMIT = 200;
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
  }
}

const invalidRequest = (d: string) => new HttpError(400, 'invalid_request', d);
const invalidClient = (d = 'Client authentication failed.') =>
  new HttpError(401, 'invalid_client', d);
const invalidToken = (d: string) => new HttpError(401, 'invalid_token', d);

interface ClientRow {
  id: string;
  name: string;
  type: string;
  secretDigest: string | null;
  isSuper: boolean;
  mayIntrospect: boolean;
  description: string | null;
  url: string | null;
}

interface TokenRow {
  handle: string;
  type: string;
  userId: number | null;
  username: string | null;
  clientId: string;
  scope: string;
  familyId: string;
  createdAt: Date;
  expiresAt: Date;
  userAuthenticatedAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  client: ClientRow | null;
}

// Rows are read by literal keys (`t_*` of the token, `c_*` of its client; see
// src/tokens/token.sql.ts): the leanest reading of a mysql2 row, so that the baseline spends
// nothing tokenvakt would not.

/** mysql2 gives VARCHAR columns as strings and NULL as null. */
function str(value: unknown): string {
  return value as string;
}
function nstr(value: unknown): string | null {
  return (value as string | null | undefined) ?? null;
}
/** mysql2 gives INT columns as numbers. */
function nint(value: unknown): number | null {
  return (value as number | null | undefined) ?? null;
}

function toClient(row: RowDataPacket): ClientRow | null {
  if (row.c_id === null || row.c_id === undefined) return null;
  return {
    id: str(row.c_id),
    name: str(row.c_name),
    type: str(row.c_type),
    secretDigest: nstr(row.c_secret_digest),
    isSuper: Number(row.c_is_super) === 1,
    mayIntrospect: Number(row.c_may_introspect) === 1,
    description: nstr(row.c_description),
    url: nstr(row.c_url),
  };
}

/** A token row joined to its client. */
function toToken(row: RowDataPacket): TokenRow {
  return {
    handle: str(row.t_handle),
    type: str(row.t_type),
    userId: nint(row.t_user_id),
    username: nstr(row.t_username),
    clientId: str(row.t_client_id),
    scope: str(row.t_scope),
    familyId: str(row.t_family_id),
    createdAt: row.t_created_at as Date,
    expiresAt: row.t_expires_at as Date,
    userAuthenticatedAt: (row.t_user_authenticated_at as Date | null) ?? null,
    revokedAt: (row.t_revoked_at as Date | null) ?? null,
    lastUsedAt: (row.t_last_used_at as Date | null) ?? null,
    client: toClient(row),
  };
}

class Baseline {
  private readonly config = loadConfig(process.env);
  private readonly known = new Set(this.config.scopes);

  constructor(private readonly pool: Pool) {}

  private async rows(sql: string, values: unknown[]): Promise<RowDataPacket[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(sql, values);
    return rows;
  }

  private async affected(sql: string, values: unknown[]): Promise<number> {
    const [result] = await this.pool.query<ResultSetHeader>(sql, values);
    return result.affectedRows;
  }

  private async findClient(id: string): Promise<ClientRow | null> {
    const row = (await this.rows(SQL.CLIENT_BY_ID, [id]))[0];
    return row ? toClient(row) : null;
  }

  private async findByDigest(digest: string): Promise<TokenRow | null> {
    const row = (await this.rows(SQL.TOKEN_BY_DIGEST, [digest]))[0];
    return row ? toToken(row) : null;
  }

  private findByRawValue(raw: string): Promise<TokenRow | null> {
    if (!raw.startsWith(SECRET_PREFIX.accessToken) && !raw.startsWith(SECRET_PREFIX.refreshToken)) {
      return Promise.resolve(null);
    }
    return this.findByDigest(digestSecret(raw));
  }

  private async recordUse(token: TokenRow, now: Date): Promise<void> {
    const since = now.getTime() - LAST_USED_RESOLUTION_MS;
    if (token.lastUsedAt !== null && token.lastUsedAt.getTime() > since) return;
    await this.affected(SQL.RECORD_USE, [now, token.handle, new Date(since)]);
  }

  /** The confidential client with this id and secret, or null; constant time in the secret. */
  private async verify(clientId: string, secret: string): Promise<ClientRow | null> {
    const client = await this.findClient(clientId);
    const matches = constantTimeEquals(
      digestSecret(secret),
      client?.secretDigest ?? UNMATCHABLE_DIGEST,
    );
    return client && client.secretDigest !== null && matches ? client : null;
  }

  private async superClient(form: Form): Promise<ClientRow> {
    const id = form.get('super_client_id');
    const secret = form.get('super_client_secret');
    if (!id || !secret) {
      throw invalidRequest('super_client_id and super_client_secret are required.');
    }
    const client = await this.verify(id, secret);
    if (!client) throw invalidClient();
    if (!client.isSuper) {
      throw new HttpError(403, 'unauthorized_client', 'The client is not a super client.');
    }
    return client;
  }

  /** The user's id; Bearer only (the benchmark does not send Basic user credentials). */
  private async user(req: IncomingMessage): Promise<number> {
    const header = parseAuthorizationHeader(req.headers.authorization);
    if (header?.scheme !== 'bearer') throw invalidToken('User authentication is required.');
    const raw = header.credentials;
    const token = raw.startsWith(SECRET_PREFIX.accessToken)
      ? await this.findByDigest(digestSecret(raw))
      : null;
    const now = new Date();
    if (
      !token ||
      token.type !== 'access_token' ||
      token.revokedAt !== null ||
      token.expiresAt.getTime() <= now.getTime()
    ) {
      throw invalidToken('The access token is unknown, expired or revoked.');
    }
    if (token.userId === null || token.username === null || !token.client?.isSuper) {
      throw new HttpError(403, 'insufficient_scope', 'Not a super client session.');
    }
    await this.recordUse(token, now);
    return token.userId;
  }

  /** client_secret_basic or client_secret_post (no public clients in the benchmark). */
  private async endpointClient(req: IncomingMessage, form: Form): Promise<ClientRow> {
    const header = parseAuthorizationHeader(req.headers.authorization);
    let clientId: string | undefined;
    let secret: string | undefined;
    if (header?.scheme === 'basic') {
      if (form.get('client_secret') !== undefined) {
        throw invalidRequest('Use one client authentication method, not two.');
      }
      const decoded = decodeBasicCredentials(header.credentials);
      clientId = decoded && safeDecode(decoded.user);
      secret = decoded && safeDecode(decoded.password);
    } else {
      clientId = form.get('client_id');
      secret = form.get('client_secret');
    }
    if (!clientId || secret === undefined) throw invalidClient();
    const client = await this.verify(clientId, secret);
    if (!client) throw invalidClient();
    return client;
  }

  async tokenList(req: IncomingMessage, form: Form, res: ServerResponse): Promise<void> {
    const userId = await this.user(req);
    const type = form.get('token_type');
    if (type !== 'access_token' && type !== 'refresh_token') {
      throw invalidRequest('token_type must be access_token or refresh_token.');
    }
    const superClient = await this.superClient(form);
    const clientId = form.get('client_id');
    if (clientId !== undefined && !(await this.findClient(clientId))) {
      throw invalidRequest('client_id names no client.');
    }
    const paging = parsePaging(form);
    const now = new Date();
    const where: unknown[] = [userId, type, now];
    if (clientId !== undefined) where.push(clientId);
    where.push(superClient.id);
    const withClientId = clientId !== undefined;
    // As TokenRepository.findActive: the page first; a short page that is not empty (or
    // starts the list) gives the total, anything else asks for a COUNT.
    let rows: RowDataPacket[] = [];
    let total: number | undefined;
    if (!paging.countsOnly) {
      rows = await this.rows(SQL.pageActive(withClientId), [
        ...where,
        paging.maxResults,
        paging.start,
      ]);
      if (rows.length < paging.maxResults && (rows.length > 0 || paging.start === 0)) {
        total = paging.start + rows.length;
      }
    }
    if (total === undefined) {
      const countRow = (await this.rows(SQL.countActive(withClientId), where))[0];
      total = Number(countRow?.total ?? 0);
    }
    const headers = { ...NO_STORE, 'X-Total-Count': String(total) };
    if (paging.countsOnly) return send(res, 200, { count: total }, headers);
    const entries = rows.map((row) => toEntry(toToken(row), now));
    send(res, 200, entries, headers);
  }

  async introspect(req: IncomingMessage, form: Form, res: ServerResponse): Promise<void> {
    const client = await this.endpointClient(req, form);
    if (client.type !== 'CONFIDENTIAL') {
      throw invalidClient('Only confidential clients may introspect tokens.');
    }
    if (!client.mayIntrospect) {
      throw new HttpError(403, 'unauthorized_client', 'The client may not introspect tokens.');
    }
    const raw = form.get('token');
    if (!raw) throw invalidRequest('token is required.');
    const token = await this.findByRawValue(raw);
    const now = new Date();
    if (!token || token.revokedAt !== null || token.expiresAt.getTime() <= now.getTime()) {
      return send(res, 200, { active: false }, NO_STORE);
    }
    if (token.type === 'access_token') await this.recordUse(token, now);
    send(
      res,
      200,
      {
        active: true,
        scope: token.scope,
        client_id: token.clientId,
        ...(token.username === null ? {} : { username: token.username }),
        token_type: token.type === 'access_token' ? 'Bearer' : 'refresh_token',
        exp: Math.floor(token.expiresAt.getTime() / 1000),
        iat: Math.floor(token.createdAt.getTime() / 1000),
        sub: token.username ?? token.clientId,
      },
      NO_STORE,
    );
  }

  async token(req: IncomingMessage, form: Form, res: ServerResponse): Promise<void> {
    const client = await this.endpointClient(req, form);
    if (form.get('grant_type') !== 'client_credentials') {
      throw new HttpError(400, 'unsupported_grant_type', 'The baseline serves client_credentials.');
    }
    if (client.type !== 'CONFIDENTIAL') {
      throw new HttpError(400, 'unauthorized_client', 'Public clients cannot use it.');
    }
    const scopes = this.grantable(form.get('scope'), client);
    const now = new Date();
    const accessToken = generateSecret(SECRET_PREFIX.accessToken);
    const scope = scopes.join(' ');
    const ttl = this.config.accessTokenTtl;
    await this.rows(SQL.INSERT_TOKEN, [
      generateId(),
      digestSecret(accessToken),
      'access_token',
      null,
      null,
      client.id,
      scope,
      generateId(),
      null,
      now,
      new Date(now.getTime() + ttl * 1000),
      null,
      null,
      null,
      false,
    ]);
    send(
      res,
      200,
      { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, scope },
      NO_STORE,
    );
  }

  async revokeSuper(req: IncomingMessage, form: Form, res: ServerResponse): Promise<void> {
    const userId = await this.user(req);
    await this.superClient(form);
    const value = form.get('token');
    if (!value) throw invalidRequest('token is required.');
    // As TokenService.revokeOwnToken: a raw token is looked up by digest and revoked if it
    // is the user's; anything else is taken for a handle, and one UPDATE checks the owner.
    const token = await this.findByRawValue(value);
    const now = new Date();
    if (!token) {
      await this.affected(SQL.REVOKE_OWNED_BY_HANDLE, [now, value, userId, value, userId]);
    } else if (token.userId === userId) {
      // One conditional UPDATE either way, atomic on its own: autocommit, no BEGIN/COMMIT.
      if (token.type === 'refresh_token') {
        await this.affected(SQL.REVOKE_FAMILY, [now, token.familyId]);
      } else {
        await this.affected(SQL.REVOKE_BY_HANDLE, [now, token.handle]);
      }
    }
    res.writeHead(200, { 'Content-Length': '0' }).end();
  }

  private grantable(raw: string | undefined, client: ClientRow): string[] {
    const scopes = [...new Set((raw ?? '').split(' ').filter((s) => s !== ''))].sort();
    if (scopes.length === 0) throw new HttpError(400, 'invalid_scope', 'scope is required.');
    for (const scope of scopes) {
      if (scope === ALL_SCOPE ? !client.isSuper : !this.known.has(scope)) {
        throw new HttpError(400, 'invalid_scope', 'Unknown or forbidden scope.');
      }
    }
    return scopes;
  }
}

/** A parsed form: each field at most once (a repeated field is refused, as in tokenvakt). */
class Form {
  private readonly fields = new Map<string, string>();

  constructor(body: string) {
    for (const [key, value] of new URLSearchParams(body)) {
      if (this.fields.has(key)) throw invalidRequest(`${key} must be given once, as a string`);
      if (value.length > 2000) throw invalidRequest(`${key} is too long`);
      this.fields.set(key, value);
    }
  }

  get(name: string): string | undefined {
    return this.fields.get(name);
  }
}

function parsePaging(form: Form): { start: number; maxResults: number; countsOnly: boolean } {
  const whole = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : undefined);
  const rawStart = form.get('start');
  const start = rawStart === undefined ? 0 : whole(rawStart);
  if (start === undefined) throw invalidRequest('start must be a whole number, 0 or more.');
  const rawMax = form.get('max_results');
  const maxResults = rawMax === undefined ? MAX_RESULTS_LIMIT : whole(rawMax);
  if (maxResults === undefined || maxResults < 1 || maxResults > MAX_RESULTS_LIMIT) {
    throw invalidRequest('max_results must be a whole number from 1 to 200.');
  }
  const countsOnly = form.get('counts_only');
  if (countsOnly !== undefined && countsOnly !== 'true' && countsOnly !== 'false') {
    throw invalidRequest('counts_only must be true or false.');
  }
  return { start, maxResults, countsOnly: countsOnly === 'true' };
}

function toEntry(token: TokenRow, now: Date): Record<string, unknown> {
  return {
    token: token.handle,
    token_type: token.type,
    created_date: token.createdAt.toISOString(),
    expires_in: Math.max(0, Math.floor((token.expiresAt.getTime() - now.getTime()) / 1000)),
    expires_at: token.expiresAt.toISOString(),
    user_authentication_time: token.userAuthenticatedAt?.toISOString() ?? null,
    scope: token.scope === '' ? [] : token.scope.split(' ').sort(),
    client_id: token.clientId,
    client_name: token.client?.name ?? null,
    client_description: token.client?.description ?? null,
    client_url: token.client?.url ?? null,
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
  };
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = JSON.stringify(body);
  res
    .writeHead(status, {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(json)),
    })
    .end(json);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(new HttpError(413, 'request_too_large', 'The body is over 64 KiB.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

type Handler = (req: IncomingMessage, form: Form, res: ServerResponse) => Promise<void>;

export async function startBaseline(
  databaseUrl: string,
  host: string,
  port: number,
): Promise<{ close: () => Promise<void>; port: number }> {
  const pool = createPool({
    uri: databaseUrl,
    // As tokenvakt's TypeORM options (data-source-options.ts).
    connectionLimit: 10,
    connectTimeout: 5000,
    timezone: 'Z',
    charset: 'utf8mb4_bin',
  });
  const app = new Baseline(pool);
  const routes = new Map<string, Handler>();
  for (const prefix of ['/oauth2', '/api/v1.0/oauth2', '/api/v1.1/oauth2']) {
    routes.set(`${prefix}/token/list`, (req, form, res) => app.tokenList(req, form, res));
    routes.set(`${prefix}/introspect`, (req, form, res) => app.introspect(req, form, res));
    routes.set(`${prefix}/token`, (req, form, res) => app.token(req, form, res));
    routes.set(`${prefix}/revoke/super`, (req, form, res) => app.revokeSuper(req, form, res));
  }

  const server = createServer((req, res) => {
    const handle = async (): Promise<void> => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (req.method === 'GET' && path === '/health/ready') {
        await pool.query('SELECT 1');
        return send(res, 200, { status: 'ok' });
      }
      const route = req.method === 'POST' ? routes.get(path) : undefined;
      if (!route) throw new HttpError(404, 'not_found', 'No such route.');
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') {
        throw new HttpError(415, 'unsupported_media_type', 'The body must be form-encoded.');
      }
      await route(req, new Form(await readBody(req)), res);
    };
    handle().catch((error: unknown) => {
      if (res.headersSent) return;
      if (error instanceof HttpError) {
        send(res, error.status, { error: error.code, error_description: error.message });
      } else {
        process.stderr.write(`baseline: ${error instanceof Error ? error.stack : String(error)}\n`);
        send(res, 500, { error: 'server_error', error_description: 'Internal error.' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}

if (require.main === module) {
  const url = process.env.DATABASE_URL;
  if (!url?.startsWith('mysql://')) {
    process.stderr.write('baseline: DATABASE_URL must be a mysql:// URL\n');
    process.exit(1);
  }
  const host = process.env.HOST ?? '127.0.0.1';
  const port = Number(process.env.PORT ?? '8090');
  startBaseline(url, host, port).then(
    (running) => {
      process.stdout.write(`baseline listening on http://${host}:${running.port}\n`);
      const stop = (): void => {
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (error: unknown) => {
      process.stderr.write(`baseline: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
