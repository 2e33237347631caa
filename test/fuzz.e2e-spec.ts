/**
 * Property-based fuzzing of every route (issue 5, "Bad input"). fast-check generates requests
 * that mix valid credentials and field values (of a seeded user, super client, admin client
 * and third-party clients) with malformed ones, and every answer must hold the ground rules (README: API at a glance):
 *
 *   1. no status ≥ 500;
 *   2. every 4xx body is JSON with a string `error` and `error_description` (304 and 204
 *      have no body), and leaks no stack trace or SQL;
 *   3. a rejected request (4xx, or a redirect carrying `error`) changes no row of `users`,
 *      `clients`, `tokens` or `authorization_codes`. The only exception is the one the README
 *      and RFC 9700 §4.14.2 prescribe: replaying a redeemed code or a rotated refresh token
 *      fails with `invalid_grant` and revokes the grant's tokens, and nothing else.
 *
 * Accepted requests may change the database, but never a user row nor an operator-made client.
 *
 * Generated values are symbolic (`{ref: 'session.access'}`), resolved against the live
 * fixture when a request is sent, so that a request that revokes the session does not spoil
 * the runs after it: the fixture re-issues what is gone before each run (through the
 * services, not HTTP, so that the throttled app cannot lock the fixture out).
 *
 * The seed is fixed; FUZZ_SEED and FUZZ_SCALE (a multiplier of the runs) explore further.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { In } from 'typeorm';
import { digestSecret } from '../src/auth/secrets';
import { AuthorizationCode } from '../src/authorization/authorization-code.entity';
import { AuthorizationService } from '../src/authorization/authorization.service';
import { Client } from '../src/clients/client.entity';
import { ClientsService } from '../src/clients/clients.service';
import { TokenGrantService } from '../src/tokens/token-grant.service';
import { Token } from '../src/tokens/token.entity';
import { TokenService } from '../src/tokens/token.service';
import {
  createClient,
  createSuperClient,
  createUser,
  pkcePair,
  type TestClient,
  type TestUser,
} from './support/factories';
import { startTestApp, type TestApp } from './support/test-app';
import type { Caller } from '../src/throttling/caller';

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_522);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
/** The failing assertion goes into the report; a failure's shrinking is bounded in time. */
const ASSERT_OPTIONS = {
  seed: SEED,
  includeErrorInReport: true,
  interruptAfterTimeLimit: 40_000 * Math.max(1, SCALE),
  markInterruptAsFailure: true,
} as const;

// ---------------------------------------------------------------------------------------------
// Symbolic values

/** Everything of the fixture a generated request may name; resolved when the request is sent. */
type Ref =
  | 'user.name'
  | 'user.password'
  | 'other.name'
  | 'super.id'
  | 'super.secret'
  | 'admin.id'
  | 'admin.secret'
  | 'conf.id'
  | 'conf.secret'
  | 'conf.redirect'
  | 'pub.id'
  | 'pub.redirect'
  | 'plain.id'
  | 'plain.secret'
  | 'owned.id'
  | 'owned.secret'
  | 'session.access'
  | 'session.refresh'
  | 'session.handle'
  | 'other.session'
  | 'conf.access'
  | 'conf.refresh'
  | 'conf.handle'
  | 'other.access'
  | 'other.handle'
  | 'cc.access'
  | 'code.fresh'
  | 'code.verifier'
  | 'code.used'
  | 'refresh.rotated'
  | 'pkce.challenge';

/** Small changes that turn a valid value into an almost-valid one. */
const MUTATIONS = ['suffix', 'truncate', 'upper', 'nul', 'spaces', 'twice', 'encoded'] as const;
type Mutation = (typeof MUTATIONS)[number];

/** A field value: a fixture value, a literal, a long run of one unit, or a mutated value. */
type Val =
  { ref: Ref } | { lit: string } | { big: number; unit: string } | { mut: Mutation; of: Val };

/** A JSON value for the registration body: a string value, or any other JSON. */
type JVal = Val | { json: unknown };

const ref = (name: Ref): Val => ({ ref: name });
const lit = (value: string): Val => ({ lit: value });

function mutate(value: string, mutation: Mutation): string {
  switch (mutation) {
    case 'suffix':
      return `${value}x`;
    case 'truncate':
      return value.slice(0, -1);
    case 'upper':
      return value.toUpperCase();
    case 'nul':
      return `${value}\u0000`;
    case 'spaces':
      return ` ${value} `;
    case 'twice':
      return value + value;
    case 'encoded':
      return encodeURIComponent(value);
  }
}

// ---------------------------------------------------------------------------------------------
// The fixture: what valid values refer to, kept alive between runs

class Fixture {
  /** Redeemed codes and rotated refresh tokens: replaying them revokes their grant (README: API at a glance). */
  readonly burned = new Set<string>();
  /** Clients only an operator can change; no HTTP request may alter their rows. */
  readonly operatorClientIds: string[] = [];
  private readonly values = new Map<Ref, string>();
  private readonly entities = new Map<string, Client>();

  private constructor(
    private readonly t: TestApp,
    private readonly user: TestUser,
    private readonly other: TestUser,
  ) {}

  static async create(t: TestApp): Promise<Fixture> {
    const fx = new Fixture(t, await createUser(t), await createUser(t));
    const superClient = await createSuperClient(t);
    const admin = await createClient(t, { isAdmin: true, redirectUri: undefined });
    const conf = await createClient(t, { name: 'Fuzz confidential' });
    const pub = await createClient(t, { name: 'Fuzz public', type: 'PUBLIC' });
    // Also the resource server, so that introspection gets past its flag.
    const plain = await createClient(t, {
      name: 'Fuzz plain',
      redirectUri: undefined,
      mayIntrospect: true,
    });
    fx.setClient('super', superClient);
    fx.setClient('admin', admin);
    fx.setClient('conf', conf);
    fx.setClient('pub', pub);
    fx.setClient('plain', plain);
    fx.operatorClientIds.push(...[superClient, admin, conf, pub, plain].map((c) => c.client_id));
    fx.values.set('user.name', fx.user.username);
    fx.values.set('user.password', fx.user.password);
    fx.values.set('other.name', fx.other.username);
    fx.values.set('pkce.challenge', pkcePair().challenge);
    await fx.registerOwned();
    await fx.issueSession();
    await fx.issueOtherSession();
    await fx.issueConfGrant();
    await fx.issueOtherGrant();
    await fx.issueClientCredentials();
    await fx.issueFreshCode();

    // A code redeemed once, and a refresh token rotated once: replays of both.
    const grants = t.get(TokenGrantService);
    const setup: Caller = { source: 'fixture setup', abandoned: () => false };
    const confCredentials = {
      caller: setup,
      clientId: conf.client_id,
      clientSecret: conf.client_secret,
    };
    const used = await fx.authorizeCode();
    await grants.token(confCredentials, {
      grant_type: 'authorization_code',
      code: used.code,
      code_verifier: used.verifier,
    });
    fx.values.set('code.used', used.code);
    fx.burned.add(used.code);
    const rotating = await fx.issue('conf', fx.user);
    const rotated = rotating.refresh_token ?? '';
    await grants.token(confCredentials, { grant_type: 'refresh_token', refresh_token: rotated });
    fx.values.set('refresh.rotated', rotated);
    fx.burned.add(rotated);
    return fx;
  }

  value(name: Ref): string {
    const value = this.values.get(name);
    if (value === undefined) throw new Error(`fixture value ${name} is not set`);
    return value;
  }

  resolve(val: Val): string {
    if ('ref' in val) return this.value(val.ref);
    if ('lit' in val) return val.lit;
    if ('big' in val) return val.unit.repeat(Math.ceil(val.big / Buffer.byteLength(val.unit)));
    return mutate(this.resolve(val.of), val.mut);
  }

  /** Re-issues what earlier runs revoked, rotated, redeemed, reset or deleted. */
  async prepare(request: FuzzRequest): Promise<void> {
    const tracked: Ref[] = [
      'session.access',
      'session.refresh',
      'other.session',
      'conf.access',
      'conf.refresh',
      'other.access',
      'cc.access',
    ];
    const rows = await this.t.dataSource
      .getRepository(Token)
      .findBy({ digest: In(tracked.map((r) => digestSecret(this.value(r)))) });
    const now = Date.now();
    const rowOf = (r: Ref) => rows.find((row) => row.digest === digestSecret(this.value(r)));
    const live = (r: Ref): boolean => {
      const row = rowOf(r);
      return row !== undefined && row.revokedAt === null && row.expiresAt.getTime() > now;
    };
    if (!live('session.access') || !live('session.refresh')) await this.issueSession();
    if (!live('other.session')) await this.issueOtherSession();
    if (!live('conf.access') || !live('conf.refresh')) {
      if (rowOf('conf.refresh')?.rotated === true) this.burned.add(this.value('conf.refresh'));
      await this.issueConfGrant();
    }
    if (!live('other.access')) await this.issueOtherGrant();
    if (!live('cc.access')) await this.issueClientCredentials();

    const owned = await this.t.dataSource
      .getRepository(Client)
      .findOneBy({ id: this.value('owned.id') });
    if (owned?.secretDigest !== digestSecret(this.value('owned.secret'))) {
      await this.registerOwned();
    }

    if (JSON.stringify(request).includes('"code.fresh"')) {
      const code = this.value('code.fresh');
      const row = await this.t.dataSource
        .getRepository(AuthorizationCode)
        .findOneBy({ digest: digestSecret(code) });
      if (row?.redeemedAt !== null) {
        if (row) this.burned.add(code);
        await this.issueFreshCode();
      }
    }
  }

  private setClient(prefix: 'super' | 'admin' | 'conf' | 'pub' | 'plain', client: TestClient) {
    this.values.set(`${prefix}.id`, client.client_id);
    if (client.client_secret !== undefined) {
      this.values.set(`${prefix}.secret` as Ref, client.client_secret);
    }
    if (client.redirect_uri !== undefined) {
      this.values.set(`${prefix}.redirect` as Ref, client.redirect_uri);
    }
  }

  private async client(prefix: 'super' | 'conf'): Promise<Client> {
    const id = this.value(`${prefix}.id`);
    let entity = this.entities.get(id);
    if (!entity) {
      entity = await this.t.dataSource.getRepository(Client).findOneByOrFail({ id });
      this.entities.set(id, entity);
    }
    return entity;
  }

  private async issue(prefix: 'super' | 'conf', user: TestUser | null) {
    const tokens = this.t.get(TokenService);
    return tokens.issue({
      grantType: user === null ? 'client_credentials' : 'password',
      client: await this.client(prefix),
      userId: user?.id ?? null,
      username: user?.username ?? null,
      scopes: prefix === 'super' ? ['all'] : ['match_info', 'search'],
      familyId: tokens.newFamilyId(),
      userAuthenticatedAt: user === null ? null : new Date(),
    });
  }

  private async handleOf(raw: string): Promise<string> {
    const row = await this.t.dataSource
      .getRepository(Token)
      .findOneByOrFail({ digest: digestSecret(raw) });
    return row.handle;
  }

  private async issueSession(): Promise<void> {
    const session = await this.issue('super', this.user);
    this.values.set('session.access', session.access_token);
    this.values.set('session.refresh', session.refresh_token ?? '');
    this.values.set('session.handle', await this.handleOf(session.access_token));
  }

  private async issueOtherSession(): Promise<void> {
    this.values.set('other.session', (await this.issue('super', this.other)).access_token);
  }

  private async issueConfGrant(): Promise<void> {
    const grant = await this.issue('conf', this.user);
    this.values.set('conf.access', grant.access_token);
    this.values.set('conf.refresh', grant.refresh_token ?? '');
    this.values.set('conf.handle', await this.handleOf(grant.access_token));
  }

  private async issueOtherGrant(): Promise<void> {
    const grant = await this.issue('conf', this.other);
    this.values.set('other.access', grant.access_token);
    this.values.set('other.handle', await this.handleOf(grant.access_token));
  }

  private async issueClientCredentials(): Promise<void> {
    this.values.set('cc.access', (await this.issue('conf', null)).access_token);
  }

  /** A code of the confidential client, with PKCE, through the authorization service. */
  private async authorizeCode(): Promise<{ code: string; verifier: string }> {
    const pkce = pkcePair();
    const location = await this.t.get(AuthorizationService).authorize(
      { userId: this.user.id, username: this.user.username, authenticatedAt: new Date() },
      {
        response_type: 'code',
        client_id: this.value('conf.id'),
        scope: 'search',
        state: 'fuzz',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      },
    );
    const code = new URL(location).searchParams.get('code');
    if (code === null) throw new Error(`no code in ${location}`);
    return { code, verifier: pkce.verifier };
  }

  private async issueFreshCode(): Promise<void> {
    const { code, verifier } = await this.authorizeCode();
    this.values.set('code.fresh', code);
    this.values.set('code.verifier', verifier);
  }

  /** A confidential client the user registered: the target of reset and deregister. */
  private async registerOwned(): Promise<void> {
    const owned = await this.t.get(ClientsService).register(
      {
        name: 'Fuzz owned',
        type: 'CONFIDENTIAL',
        description: 'registered by the fuzzed user',
        redirectUri: 'https://owned.example/cb',
      },
      { userId: this.user.id, username: this.user.username },
    );
    this.values.set('owned.id', owned.client_id);
    this.values.set('owned.secret', owned.client_secret ?? '');
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

type Pair = [string, Val | undefined];
type RawFragment = string | { many: number };
type Mode = 'pct' | 'latin1' | 'raw';

/** Named fields, extra (unknown or repeated) fields and raw fragments, form- or query-encoded. */
interface Fields {
  pairs: Pair[];
  extras: Array<[string, Val]>;
  raw: RawFragment[];
  rawAt: number;
  mode: Mode;
}

type Body =
  | { kind: 'form'; fields: Fields; pad: number }
  | { kind: 'json'; entries: Array<[string, JVal | undefined]> }
  | { kind: 'json-value'; value: unknown }
  | { kind: 'text'; text: Val };

type Auth =
  | { kind: 'none' }
  | { kind: 'bearer'; scheme: string; token: Val }
  | { kind: 'basic'; scheme: string; user: Val; password: Val }
  | { kind: 'raw'; value: Val };

type PathPart = string | { param: Val; mode: 'component' | 'raw' };

interface FuzzRequest {
  method: 'get' | 'post' | 'delete';
  path: PathPart[];
  query: Fields | null;
  auth: Auth;
  body: Body | null;
  contentType: string | null;
  contentEncoding: { name: string; compress: boolean } | null;
  headers: Array<[string, string]>;
}

/** The request as it goes on the wire, for sending and for failure messages. */
interface Built {
  method: FuzzRequest['method'];
  url: string;
  headers: Record<string, string>;
  body: Buffer | null;
  /** The decoded form fields sent, to recognise a replay of a burned code or refresh token. */
  fields: Array<[string, string]>;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes the bytes of `value`, keeping what `keep` matches. */
function percentEncode(bytes: Buffer, keep: RegExp): string {
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out +=
      byte < 0x80 && keep.test(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function encodeComponent(value: string, mode: Mode, target: 'body' | 'url'): Buffer {
  switch (mode) {
    case 'pct':
      return Buffer.from(percentEncode(Buffer.from(value, 'utf8'), UNRESERVED));
    case 'latin1':
      return Buffer.from(percentEncode(Buffer.from(value, 'latin1'), UNRESERVED));
    case 'raw':
      // In a body anything goes; a URL keeps what an HTTP client can put on the request line.
      return target === 'body'
        ? Buffer.from(value, 'utf8')
        : Buffer.from(percentEncode(Buffer.from(value, 'utf8'), /[!-"$-~]/));
  }
}

function encodeFields(
  fields: Fields,
  fx: Fixture,
  target: 'body' | 'url',
): { bytes: Buffer; sent: Array<[string, string]> } {
  const sent: Array<[string, string]> = [];
  for (const [name, val] of fields.pairs) if (val !== undefined) sent.push([name, fx.resolve(val)]);
  for (const [name, val] of fields.extras) sent.push([name, fx.resolve(val)]);
  const parts = sent.map(([name, value]) =>
    Buffer.concat([
      encodeComponent(name, fields.mode, target),
      Buffer.from('='),
      encodeComponent(value, fields.mode, target),
    ]),
  );
  const raw = fields.raw.map((fragment) =>
    typeof fragment === 'string'
      ? target === 'body'
        ? Buffer.from(fragment, 'utf8')
        : Buffer.from(percentEncode(Buffer.from(fragment, 'utf8'), /[!-"$-~]/))
      : Buffer.from(Array.from({ length: fragment.many }, (_, i) => `p${i}=1`).join('&')),
  );
  parts.splice(fields.rawAt % (parts.length + 1), 0, ...raw);
  const joined: Buffer[] = [];
  parts.forEach((part, i) => joined.push(...(i === 0 ? [part] : [Buffer.from('&'), part])));
  return { bytes: Buffer.concat(joined), sent };
}

/** Header values as a client would put UTF-8 on the wire; control bytes become `?`. */
function headerValue(value: string): string {
  return Buffer.from(value, 'utf8')
    .toString('latin1')
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

function authorizationHeader(auth: Auth, fx: Fixture): string | undefined {
  switch (auth.kind) {
    case 'none':
      return undefined;
    case 'bearer':
      return headerValue(`${auth.scheme} ${fx.resolve(auth.token)}`);
    case 'basic': {
      const credentials = `${fx.resolve(auth.user)}:${fx.resolve(auth.password)}`;
      return headerValue(`${auth.scheme} ${Buffer.from(credentials, 'utf8').toString('base64')}`);
    }
    case 'raw':
      return headerValue(fx.resolve(auth.value));
  }
}

function jsonText(entries: Array<[string, JVal | undefined]>, fx: Fixture): string {
  // Built by hand, so that `__proto__` stays an own key and repeated keys stay repeated.
  const members = entries
    .filter((entry): entry is [string, JVal] => entry[1] !== undefined)
    .map(([key, val]) => {
      const value = 'json' in val ? val.json : fx.resolve(val);
      return `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`;
    });
  return `{${members.join(',')}}`;
}

function compress(body: Buffer, encoding: string): Buffer {
  if (encoding.includes('gzip')) return gzipSync(body);
  if (encoding === 'deflate') return deflateSync(body);
  if (encoding === 'br') return brotliCompressSync(body);
  return body;
}

function build(request: FuzzRequest, fx: Fixture): Built {
  const path = request.path
    .map((part) =>
      typeof part === 'string'
        ? part
        : part.mode === 'component'
          ? percentEncode(Buffer.from(fx.resolve(part.param), 'utf8'), UNRESERVED)
          : // Keeps `/`, `%` and `..` as they are: encoded slashes, bad escapes, traversal.
            percentEncode(Buffer.from(fx.resolve(part.param), 'utf8'), /[!$-.0-9:;=@-Z_a-z~/]/),
    )
    .join('/');
  const query = request.query ? encodeFields(request.query, fx, 'url') : undefined;
  const url = `/${path}${query ? `?${query.bytes.toString('latin1')}` : ''}`;
  const headers: Record<string, string> = {};
  const authorization = authorizationHeader(request.auth, fx);
  if (authorization !== undefined) headers.Authorization = authorization;
  if (request.contentType !== null) headers['Content-Type'] = request.contentType;
  for (const [name, value] of request.headers) headers[name] = headerValue(value);

  let body: Buffer | null = null;
  let fields: Array<[string, string]> = [];
  if (request.body) {
    switch (request.body.kind) {
      case 'form': {
        const encoded = encodeFields(request.body.fields, fx, 'body');
        fields = encoded.sent;
        body =
          request.body.pad > 0
            ? Buffer.concat([encoded.bytes, Buffer.from(`&pad=${'x'.repeat(request.body.pad)}`)])
            : encoded.bytes;
        break;
      }
      case 'json':
        body = Buffer.from(jsonText(request.body.entries, fx), 'utf8');
        break;
      case 'json-value':
        body = Buffer.from(JSON.stringify(request.body.value) ?? 'null', 'utf8');
        break;
      case 'text':
        body = Buffer.from(fx.resolve(request.body.text), 'utf8');
        break;
    }
  }
  if (request.contentEncoding) {
    headers['Content-Encoding'] = request.contentEncoding.name;
    if (body && request.contentEncoding.compress) {
      body = compress(body, request.contentEncoding.name);
    }
  }
  return { method: request.method, url, headers, body, fields };
}

async function send(t: TestApp, built: Built): Promise<Response> {
  const agent = t.http();
  const req =
    built.method === 'get'
      ? agent.get(built.url)
      : built.method === 'post'
        ? agent.post(built.url)
        : agent.delete(built.url);
  // The raw body, so that a non-JSON answer is seen as such rather than failing to parse.
  req.responseType('blob').timeout({ deadline: 15_000 });
  for (const [name, value] of Object.entries(built.headers)) req.set(name, value);
  // Sent byte for byte: without this, superagent would serialise a Buffer as a form or JSON.
  if (built.body) req.serialize((body: unknown) => body as string).send(built.body);
  return req;
}

function describeExchange(built: Built, res?: Response, body?: string): string {
  const shown = built.body?.toString('latin1') ?? '';
  const request = {
    method: built.method.toUpperCase(),
    url:
      built.url.length > 300
        ? `${built.url.slice(0, 300)}… (${built.url.length} chars)`
        : built.url,
    headers: Object.fromEntries(
      Object.entries(built.headers).map(([k, v]) => [
        k,
        v.length > 200 ? `${v.slice(0, 200)}… (${v.length} chars)` : v,
      ]),
    ),
    body: shown.length > 400 ? `${shown.slice(0, 400)}… (${shown.length} bytes)` : shown,
  };
  const answer = res
    ? `\nanswer: ${res.status} ${String(res.headers['content-type'])} ${(body ?? '').slice(0, 400)}`
    : '';
  return `request: ${JSON.stringify(request)}${answer}`;
}

// ---------------------------------------------------------------------------------------------
// Database snapshots

const TABLES = {
  users: 'id',
  clients: 'id',
  tokens: 'handle',
  authorization_codes: 'digest',
} as const;
type Table = keyof typeof TABLES;
type Row = Record<string, string>;
type Snapshot = Record<Table, Map<string, Row>>;

function normalize(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return JSON.stringify(value) ?? typeof value;
}

async function snapshot(t: TestApp): Promise<Snapshot> {
  const result = {} as Snapshot;
  for (const [table, key] of Object.entries(TABLES) as Array<[Table, string]>) {
    const rows = await t.dataSource.query<Array<Record<string, unknown>>>(`SELECT * FROM ${table}`);
    result[table] = new Map(
      rows.map((row) => {
        const normalized: Row = {};
        for (const [column, value] of Object.entries(row)) normalized[column] = normalize(value);
        return [normalize(row[key]), normalized];
      }),
    );
  }
  return result;
}

interface Change {
  table: Table;
  key: string;
  kind: 'added' | 'removed' | 'changed';
  columns: Array<[string, string, string]>;
}

function diff(before: Snapshot, after: Snapshot): Change[] {
  const changes: Change[] = [];
  for (const table of Object.keys(TABLES) as Table[]) {
    for (const [key, row] of before[table]) {
      const now = after[table].get(key);
      if (!now) {
        changes.push({ table, key, kind: 'removed', columns: [] });
        continue;
      }
      const columns = Object.keys(row)
        .filter((column) => row[column] !== now[column])
        .map((column): [string, string, string] => [column, row[column] ?? '', now[column] ?? '']);
      if (columns.length > 0) changes.push({ table, key, kind: 'changed', columns });
    }
    for (const key of after[table].keys()) {
      if (!before[table].has(key)) changes.push({ table, key, kind: 'added', columns: [] });
    }
  }
  return changes;
}

// ---------------------------------------------------------------------------------------------
// The properties

/** Stack frames, driver errors and SQL that must never reach a client (README: API at a glance). */
const LEAK =
  /\bat .+[\\/].+\.[jt]s:\d+|node_modules|QueryFailedError|SQLITE_|ER_[A-Z_]{3,}|\bSELECT\b.+\bFROM\b|\bINSERT INTO\b/;

interface Outcome {
  status: number;
  rejected: boolean;
}

/** Sends one generated request and checks every property on its answer. */
async function exercise(t: TestApp, fx: Fixture, request: FuzzRequest): Promise<Outcome> {
  await fx.prepare(request);
  const built = build(request, fx);
  const before = await snapshot(t);
  let res: Response;
  try {
    res = await send(t, built);
  } catch (error) {
    assert.fail(`no HTTP answer (${String(error)})\n${describeExchange(built)}`);
  }
  const after = await snapshot(t);
  const raw = Buffer.isBuffer(res.body) ? res.body : Buffer.alloc(0);
  const text = raw.toString('utf8');
  const context = describeExchange(built, res, text);

  // 1. No server error.
  assert.ok(res.status < 500, `status ${res.status} ≥ 500\n${context}`);

  // 2. Error bodies are JSON {error, error_description}; 204 and 304 have none.
  if (res.status === 204 || res.status === 304) {
    assert.equal(raw.length, 0, `a ${res.status} answer has a body\n${context}`);
  } else if (res.status >= 400) {
    assert.match(
      String(res.headers['content-type']),
      /^application\/json/,
      `a ${res.status} answer is not JSON\n${context}`,
    );
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      assert.fail(`a ${res.status} body does not parse as JSON\n${context}`);
    }
    assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body), context);
    const { error, error_description } = body as Record<string, unknown>;
    assert.ok(typeof error === 'string' && error !== '', `no string "error"\n${context}`);
    assert.equal(typeof error_description, 'string', `no "error_description"\n${context}`);
    // Descriptions may quote the request (`No client "…"`); only what the server added counts.
    let own = text;
    for (const [, value] of built.fields) if (value.length > 2) own = own.split(value).join('');
    assert.doesNotMatch(own, LEAK, `an error body leaks internals\n${context}`);
    if (res.status === 429) {
      assert.match(
        String(res.headers['retry-after']),
        /^[1-9]\d*$/,
        `429 without Retry-After\n${context}`,
      );
    }
  }

  // A redirect goes to a registered redirect URI only (RFC 9700 §2.1: no open redirector).
  const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
  let redirectedError = false;
  if (res.status >= 300 && res.status < 400 && location !== undefined) {
    const target = new URL(location);
    const registered = [...after.clients.values()].map((c) => c.redirect_uri);
    assert.ok(
      registered.includes(`${target.origin}${target.pathname}`),
      `redirect to an unregistered URI\n${context}`,
    );
    redirectedError = target.searchParams.has('error');
  }

  // 3. Nothing changes for a rejected request.
  const changes = diff(before, after);
  const rejected = res.status >= 400 || redirectedError;
  const describeChanges = () => JSON.stringify(changes).slice(0, 2000);
  if (rejected) {
    const replay =
      /\/oauth2\/token$/.test(built.url) &&
      res.status === 400 &&
      text.includes('"invalid_grant"') &&
      built.fields.some(
        ([name, value]) => (name === 'code' || name === 'refresh_token') && fx.burned.has(value),
      );
    // RFC 9700 §4.14.2: a replayed code or rotated refresh token revokes its grant.
    const allowed = (change: Change) =>
      replay &&
      change.table === 'tokens' &&
      change.kind === 'changed' &&
      change.columns.every(([column, was]) => column === 'revoked_at' && was === 'NULL');
    // README: Security model — a refused redemption spends the code it presented (not a 429).
    const spent = (change: Change) =>
      /\/oauth2\/token$/.test(built.url) &&
      res.status !== 429 &&
      change.table === 'authorization_codes' &&
      change.kind === 'changed' &&
      built.fields.some(([name, value]) => name === 'code' && digestSecret(value) === change.key) &&
      change.columns.every(([column, was]) => column === 'redeemed_at' && was === 'NULL');
    const forbidden = changes.filter((change) => !allowed(change) && !spent(change));
    assert.deepEqual(
      forbidden,
      [],
      `a rejected request (${res.status}) changed the database: ${describeChanges()}\n${context}`,
    );
  } else {
    // No HTTP route changes a user or a client only an operator manages.
    const forbidden = changes.filter(
      (change) =>
        change.table === 'users' ||
        (change.table === 'clients' && fx.operatorClientIds.includes(change.key)),
    );
    assert.deepEqual(
      forbidden,
      [],
      `an operator-owned row changed: ${describeChanges()}\n${context}`,
    );
    // Users register third-party clients only; the operator flags are the CLI's.
    for (const change of changes) {
      if (change.table !== 'clients' || change.kind !== 'added') continue;
      const row = after.clients.get(change.key);
      assert.ok(
        row &&
          Number(row.is_super) === 0 &&
          Number(row.is_admin) === 0 &&
          Number(row.may_introspect) === 0,
        `a registered client got an operator flag: ${JSON.stringify(row)}\n${context}`,
      );
    }
  }
  return { status: res.status, rejected };
}

// ---------------------------------------------------------------------------------------------
// Generators

/**
 * Each route draws from two mixes: `calm` requests are mostly valid with the odd flaw, so that
 * runs get past authentication and into the handlers; `wild` ones are mostly malformed.
 */
type Chaos = 'calm' | 'wild';
const WEIGHTS = {
  calm: { valid: 24, mutated: 1, malformed: 2, omit: 30, odd: 1, usual: 30 },
  wild: { valid: 5, mutated: 1, malformed: 3, omit: 5, odd: 1, usual: 4 },
} as const;

/** `usual` most of the time, one of `odd` now and then (how often depends on the chaos). */
function usually<T>(c: Chaos, usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof(
    { weight: WEIGHTS[c].usual, arbitrary: usual },
    { weight: WEIGHTS[c].odd, arbitrary: odd },
  );
}

const INJECTIONS = [
  "' OR 1=1 --",
  "' OR '1'='1",
  '" OR ""="',
  "1'; DROP TABLE tokens; --",
  "admin'--",
  '%',
  '%00',
  '%zz',
  '%2e%2e%2f',
  '\u0000',
  'a\u0000b',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/etc/passwd%00.png',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'toString',
  '{"$gt":""}',
  '[object Object]',
  'null',
  'undefined',
  'true',
  'NaN',
  '-1',
  '-0',
  '1e309',
  '0x10',
  '9'.repeat(30),
  '1.5',
  ' 1',
  '',
  ' ',
  '\t\r\n',
  '\u202e\u202d',
  '\ufeff',
  '\ud800',
  '\udfff',
  '😀',
  'ǅ̈̀',
  'tva_',
  'tvr_',
  'tvc_',
  'tvs_',
  `tva_${'A'.repeat(43)}`,
  'Bearer',
  'Basic',
  '=',
  '&',
  '+',
  '*',
  '"',
  '\\',
];

const CONTROL = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u2028',
  '\ufffe',
  '\ud800',
  '%',
  '&',
  '=',
  ';',
);

/** Malformed values: injection shapes, unicode and control characters, long runs. */
const malformed: fc.Arbitrary<Val> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...INJECTIONS).map(lit) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }).map(lit) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }).map(lit) },
  { weight: 2, arbitrary: fc.string({ unit: CONTROL, maxLength: 12 }).map(lit) },
  {
    weight: 1,
    arbitrary: fc.record({
      // Past field limits, past the 16 KiB header limit, past the 64 KiB body limit.
      big: fc.oneof(
        fc.integer({ min: 250, max: 3_000 }),
        fc.integer({ min: 15_000, max: 20_000 }),
        fc.integer({ min: 60_000, max: 70_000 }),
      ),
      unit: fc.constantFrom('x', 'é', '😀', '%', '\u0000', "'"),
    }),
  },
);

/** A valid value, or `undefined` for "leave the field out". */
type Valid = Val | undefined;
/** The fields of a form or query, each with its valid values. */
type FieldSpec = Record<string, readonly Valid[]>;

/** A value: valid, slightly mutated, or malformed. */
function valueArb(valid: readonly Val[], c: Chaos): fc.Arbitrary<Val> {
  if (valid.length === 0) return malformed;
  const plain = fc.constantFrom(...valid);
  return fc.oneof(
    { weight: WEIGHTS[c].valid, arbitrary: plain },
    {
      weight: WEIGHTS[c].mutated,
      arbitrary: fc.record({ mut: fc.constantFrom(...MUTATIONS), of: plain }),
    },
    { weight: WEIGHTS[c].malformed, arbitrary: malformed },
  );
}

/** A field: left out now and then, else a value. */
/**
 * A field: left out now and then, else a value. `undefined` among the valid values marks an
 * optional field, which is then left out about half the time.
 */
function fieldArb(valid: readonly Valid[], c: Chaos): fc.Arbitrary<Val | undefined> {
  const present = valid.filter((v): v is Val => v !== undefined);
  const field = fc.option(valueArb(present, c), { nil: undefined, freq: WEIGHTS[c].omit });
  return present.length < valid.length ? fc.oneof(field, fc.constant(undefined)) : field;
}

const RAW_FRAGMENTS = [
  '%zz',
  'a=%zz',
  '%',
  '%%',
  'token=%E0%A4%A',
  '%e9=%e9',
  '%C0%AE%C0%AE%2F',
  '%u0041=1',
  '=',
  '=x',
  'x=',
  '&&&',
  'a=b=c',
  '%00=%00',
  '\u0000',
  '\r\n',
  ';',
  '+',
  'token_type=%zz',
  'super_client_id=%',
  'grant_type=%ff',
];

/** Named fields, plus (now and then) repeated or unknown fields and raw fragments. */
function fieldsArb(spec: FieldSpec, c: Chaos): fc.Arbitrary<Fields> {
  const names = Object.keys(spec);
  const allValid = Object.values(spec)
    .flat()
    .filter((v): v is Val => v !== undefined);
  const extraName = fc.oneof(
    { weight: 3, arbitrary: names.length > 0 ? fc.constantFrom(...names) : fc.constant('x') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '__proto__',
        'constructor',
        'hasOwnProperty',
        'token_type[]',
        'a[b][c]',
        '',
        '%zz',
        'is_super',
        'isSuper',
        'username',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  );
  return fc.record({
    pairs: fc.tuple(
      ...names.map((name) => fieldArb(spec[name] ?? [], c).map((v): Pair => [name, v])),
    ),
    extras: usually(
      c,
      fc.constant<Array<[string, Val]>>([]),
      fc.array(fc.tuple(extraName, valueArb(allValid, c)), { minLength: 1, maxLength: 4 }),
    ),
    raw: usually(
      c,
      fc.constant<RawFragment[]>([]),
      fc.array(
        fc.oneof(
          { weight: 5, arbitrary: fc.constantFrom(...RAW_FRAGMENTS) },
          { weight: 1, arbitrary: fc.record({ many: fc.integer({ min: 90, max: 300 }) }) },
        ),
        { minLength: 1, maxLength: 3 },
      ),
    ),
    rawAt: fc.nat({ max: 12 }),
    mode: usually(c, fc.constant<Mode>('pct'), fc.constantFrom<Mode>('latin1', 'raw')),
  });
}

const FORM = 'application/x-www-form-urlencoded';

const ODD_FORM_TYPES = [
  `${FORM}; charset=utf-8`,
  `${FORM}; charset=UTF-8`,
  `${FORM}; charset=latin1`,
  `${FORM}; charset=iso-8859-1`,
  `${FORM}; charset=utf-16`,
  `${FORM}; charset=utf-7`,
  `${FORM}; charset="utf-8"`,
  `${FORM}; charset=`,
  `${FORM};;`,
  'Application/X-WWW-Form-URLEncoded',
  `${FORM}, application/json`,
  'text/plain',
  'text/plain; charset=utf-8',
  'application/json',
  'multipart/form-data; boundary=fuzz',
  'application/xml',
  '*/*',
  'x',
  ';',
  null,
];

const ODD_JSON_TYPES = [
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/merge-patch+json',
  'Application/JSON',
  'text/json',
  FORM,
  'text/plain',
  'multipart/form-data; boundary=fuzz',
  null,
];

const contentEncodingArb = (c: Chaos) =>
  usually(
    c,
    fc.constant(null),
    fc.record({
      name: fc.constantFrom(
        'gzip',
        'x-gzip',
        'deflate',
        'br',
        'identity',
        'compress',
        'zstd',
        'gzip, gzip',
      ),
      compress: fc.boolean(),
    }),
  );

const bearerScheme = (c: Chaos) =>
  usually(
    c,
    fc.constant('Bearer'),
    fc.constantFrom('bearer', 'BEARER', 'Bearer ', 'Bearer\t', 'Basic', 'Token'),
  );
const basicScheme = (c: Chaos) =>
  usually(c, fc.constant('Basic'), fc.constantFrom('basic', 'BASIC', 'Basic ', 'Bearer', 'Digest'));

/** Odd Authorization headers: bare schemes, garbage, and very long ones. */
const rawAuthorization: fc.Arbitrary<Auth> = fc.record({
  kind: fc.constant('raw' as const),
  value: fc.oneof(
    fc
      .constantFrom(
        'Bearer',
        'Basic',
        'Bearer ',
        'Basic !!!',
        'Basic ====',
        'Digest x',
        'Bearer a b',
        ' Bearer x',
        'NTLM TlRMTVNTUAAB',
        '',
        ',',
      )
      .map(lit),
    malformed,
    fc.record({ mut: fc.constant('suffix' as const), of: malformed }),
  ),
});

/** User authentication of the super-client services (README: API at a glance): mostly the super client's session. */
const userAuth = (c: Chaos): fc.Arbitrary<Auth> =>
  fc.oneof(
    {
      weight: 7,
      arbitrary: fc.record({
        kind: fc.constant('bearer' as const),
        scheme: bearerScheme(c),
        token: valueArb(
          c === 'calm'
            ? [
                ref('session.access'),
                ref('session.access'),
                ref('session.access'),
                ref('other.session'),
              ]
            : [
                ref('session.access'),
                ref('session.access'),
                ref('other.session'),
                ref('conf.access'),
                ref('cc.access'),
                ref('session.refresh'),
                ref('session.handle'),
              ],
          c,
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('basic' as const),
        scheme: basicScheme(c),
        user: valueArb(
          c === 'calm' ? [ref('user.name')] : [ref('user.name'), ref('other.name')],
          c,
        ),
        password: valueArb([ref('user.password')], c),
      }),
    },
    { weight: WEIGHTS[c].odd, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: WEIGHTS[c].odd, arbitrary: rawAuthorization },
  );

/** HTTP Basic with a client's credentials (admin API, and client_secret_basic). */
function clientBasicAuth(
  ids: readonly Val[],
  secrets: readonly Val[],
  c: Chaos,
): fc.Arbitrary<Auth> {
  return fc.record({
    kind: fc.constant('basic' as const),
    scheme: basicScheme(c),
    user: valueArb(ids, c),
    password: valueArb(secrets, c),
  });
}

const adminAuth = (c: Chaos): fc.Arbitrary<Auth> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: clientBasicAuth(
        c === 'calm'
          ? [ref('admin.id')]
          : [ref('admin.id'), ref('admin.id'), ref('super.id'), ref('conf.id')],
        c === 'calm'
          ? [ref('admin.secret')]
          : [ref('admin.secret'), ref('admin.secret'), ref('super.secret'), ref('conf.secret')],
        c,
      ),
    },
    { weight: WEIGHTS[c].odd, arbitrary: fc.constant({ kind: 'none' as const }) },
    {
      weight: WEIGHTS[c].odd,
      arbitrary: fc.record({
        kind: fc.constant('bearer' as const),
        scheme: bearerScheme(c),
        token: valueArb([ref('session.access')], c),
      }),
    },
    { weight: WEIGHTS[c].odd, arbitrary: rawAuthorization },
  );

const CLIENT_IDS = [
  ref('conf.id'),
  ref('pub.id'),
  ref('super.id'),
  ref('admin.id'),
  ref('plain.id'),
];
const CLIENT_SECRETS = [
  ref('conf.secret'),
  ref('super.secret'),
  ref('admin.secret'),
  ref('plain.secret'),
];

/** Who a request authenticates as: a header, and form fields that go with it. */
interface Credentials {
  auth: Auth;
  pairs: Pair[];
}

type ConfidentialClient = 'conf' | 'super' | 'admin' | 'plain';
const CONFIDENTIAL: readonly ConfidentialClient[] = [
  'conf',
  'conf',
  'conf',
  'super',
  'admin',
  'plain',
];

/** A client's id and secret that belong together (calm), or picked apart (wild). */
function clientIdAndSecret(
  c: Chaos,
  clients: readonly ConfidentialClient[],
): fc.Arbitrary<[Val, Val]> {
  return fc.oneof(
    {
      weight: WEIGHTS[c].usual,
      arbitrary: fc
        .constantFrom(...clients)
        .chain((name) =>
          fc.tuple(valueArb([ref(`${name}.id`)], c), valueArb([ref(`${name}.secret`)], c)),
        ),
    },
    {
      weight: WEIGHTS[c].odd,
      arbitrary: fc.tuple(valueArb(CLIENT_IDS, c), valueArb(CLIENT_SECRETS, c)),
    },
  );
}

/**
 * Client authentication at /oauth2/token, /revoke, /introspect (README: API at a glance): client_secret_basic,
 * client_secret_post, a public client's id alone, or an odd mix of them.
 */
const endpointCredentials = (
  c: Chaos,
  clients: readonly ConfidentialClient[] = CONFIDENTIAL,
): fc.Arbitrary<Credentials> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(clientIdAndSecret(c, clients), basicScheme(c))
        .map(([[user, password], scheme]): Credentials => ({
          auth: { kind: 'basic', scheme, user, password },
          pairs: [],
        })),
    },
    {
      weight: 4,
      arbitrary: clientIdAndSecret(c, clients).map(([id, secret]): Credentials => ({
        auth: { kind: 'none' },
        pairs: [
          ['client_id', id],
          ['client_secret', secret],
        ],
      })),
    },
    {
      weight: 1,
      arbitrary: valueArb([ref('pub.id')], c).map((id): Credentials => ({
        auth: { kind: 'none' },
        pairs: [['client_id', id]],
      })),
    },
    {
      weight: WEIGHTS[c].odd,
      arbitrary: fc
        .tuple(
          fc.oneof(rawAuthorization, clientBasicAuth(CLIENT_IDS, CLIENT_SECRETS, c)),
          fieldArb(CLIENT_IDS, c),
          fieldArb(CLIENT_SECRETS, c),
        )
        .map(([auth, id, secret]): Credentials => ({
          auth,
          pairs: [
            ['client_id', id],
            ['client_secret', secret],
          ],
        })),
    },
  );

/** The user alone (client registration, reset, deregistration). */
const userCredentials = (c: Chaos): fc.Arbitrary<Credentials> =>
  userAuth(c).map((auth) => ({ auth, pairs: [] }));

/** The user, and the super client's `super_client_id` and `super_client_secret` (README: API at a glance). */
const superCredentials = (c: Chaos): fc.Arbitrary<Credentials> =>
  fc
    .tuple(
      userAuth(c),
      fc.oneof(
        {
          weight: WEIGHTS[c].usual,
          arbitrary: fc
            .constantFrom('super', 'super', 'super', 'super', 'plain', 'conf')
            .chain((name) =>
              fc.tuple(fieldArb([ref(`${name}.id`)], c), fieldArb([ref(`${name}.secret`)], c)),
            ),
        },
        {
          weight: WEIGHTS[c].odd,
          arbitrary: fc.tuple(
            fieldArb([ref('super.id'), ref('plain.id')], c),
            fieldArb([ref('super.secret'), ref('plain.secret'), ref('conf.secret')], c),
          ),
        },
      ),
    )
    .map(([auth, [id, secret]]) => ({
      auth,
      pairs: [
        ['super_client_id', id],
        ['super_client_secret', secret],
      ],
    }));

/** A POST with a form body to `path` (literal parts, or generated path parameters). */
function formPost(
  path: fc.Arbitrary<PathPart[]>,
  credentials: (c: Chaos) => fc.Arbitrary<Credentials>,
  fields: FieldSpec | ((c: Chaos) => fc.Arbitrary<Fields>),
): (c: Chaos) => fc.Arbitrary<FuzzRequest> {
  return (c) =>
    fc
      .record({
        method: fc.constant('post' as const),
        path,
        query: fc.constant(null),
        credentials: credentials(c),
        body: usually<Body | null>(
          c,
          fc.record({
            kind: fc.constant('form' as const),
            fields: typeof fields === 'function' ? fields(c) : fieldsArb(fields, c),
            pad: usually(
              c,
              fc.constant(0),
              fc.oneof(
                fc.integer({ min: 1_000, max: 70_000 }),
                fc.integer({ min: 64_500, max: 66_000 }),
              ),
            ),
          }),
          fc.oneof(
            fc.record({ kind: fc.constant('text' as const), text: malformed }),
            fc.record({
              kind: fc.constant('json-value' as const),
              value: fc.jsonValue({ maxDepth: 2 }),
            }),
            fc.constant(null),
          ),
        ),
        contentType: usually(
          c,
          fc.constant<string | null>(FORM),
          fc.constantFrom(...ODD_FORM_TYPES),
        ),
        contentEncoding: contentEncodingArb(c),
        headers: fc.constant<Array<[string, string]>>([]),
      })
      .map(({ credentials: { auth, pairs }, body, ...rest }): FuzzRequest => ({
        ...rest,
        auth,
        body:
          body?.kind === 'form'
            ? { ...body, fields: { ...body.fields, pairs: [...pairs, ...body.fields.pairs] } }
            : body,
      }));
}

const fixed = (...parts: string[]): fc.Arbitrary<PathPart[]> => fc.constant(parts);

const ODD_PARAMS = [
  '..',
  '.',
  '%2F',
  '..%2F..%2F',
  'a%2Fb',
  '%2e%2e',
  '%zz',
  '%',
  '%00',
  '/',
  '//x',
  ';x=1',
  'a?b',
  'a#b',
];

/** A path parameter: valid, almost valid or malformed; percent-encoded or raw. */
function paramArb(valid: readonly Val[], c: Chaos): fc.Arbitrary<PathPart> {
  return fc.record({
    param: usually(c, valueArb(valid, c), fc.constantFrom(...ODD_PARAMS).map(lit)),
    mode: usually(c, fc.constant('component' as const), fc.constant('raw' as const)),
  });
}

const TOKEN_TYPES = [lit('access_token'), lit('refresh_token')];
/** Paging fields (README: POST /oauth2/token/list): optional, mostly in range, sometimes just outside it. */
const PAGING: FieldSpec = {
  start: [undefined, lit('0'), lit('1'), lit('200')],
  max_results: [undefined, lit('1'), lit('200'), lit('50'), lit('201'), lit('0')],
  counts_only: [undefined, lit('true'), lit('false'), lit('false'), lit('1')],
};

const tokenListFields: FieldSpec = {
  token_type: TOKEN_TYPES,
  client_id: [undefined, ref('conf.id'), ref('pub.id'), ref('super.id')],
  ...PAGING,
};

const SCOPES = [
  undefined,
  undefined,
  undefined,
  lit('search'),
  lit('search match_info'),
  lit('all'),
  lit('admin'),
  lit(''),
];

/** The fields of each grant (README: API at a glance), so that calm requests make sense as a whole. */
const GRANTS: Record<string, FieldSpec> = {
  authorization_code: {
    code: [
      ref('code.fresh'),
      ref('code.fresh'),
      ref('code.fresh'),
      ref('code.used'),
      ref('conf.handle'),
    ],
    redirect_uri: [undefined, undefined, ref('conf.redirect'), ref('pub.redirect')],
    code_verifier: [ref('code.verifier'), ref('code.verifier'), ref('code.verifier'), undefined],
  },
  refresh_token: {
    refresh_token: [
      ref('conf.refresh'),
      ref('conf.refresh'),
      ref('conf.refresh'),
      ref('refresh.rotated'),
      ref('session.refresh'),
      ref('conf.access'),
    ],
    scope: SCOPES,
  },
  password: {
    username: [ref('user.name'), ref('user.name'), ref('other.name')],
    password: [ref('user.password')],
    scope: SCOPES,
  },
  // Client credentials need a scope (no user consented to a default).
  client_credentials: { scope: [lit('search'), lit('search match_info'), lit('all'), undefined] },
};

/**
 * Calm: one grant, its fields, and mostly the client it needs (the super client for the
 * password grant); wild: every field of every grant, odd grant types, any client.
 */
const tokenRequest = (c: Chaos): fc.Arbitrary<FuzzRequest> =>
  c === 'calm'
    ? fc
        .constantFrom(...Object.keys(GRANTS))
        .chain((grant) =>
          formPost(
            fixed('oauth2', 'token'),
            (c2) =>
              endpointCredentials(
                c2,
                grant === 'password'
                  ? ['super', 'super', 'super', 'conf']
                  : ['conf', 'conf', 'conf', 'super', 'admin'],
              ),
            { grant_type: [lit(grant)], ...GRANTS[grant] },
          )(c),
        )
    : formPost(fixed('oauth2', 'token'), endpointCredentials, {
        grant_type: [...Object.keys(GRANTS).map(lit), lit('implicit'), undefined],
        ...Object.values(GRANTS).reduce<FieldSpec>((all, spec) => ({ ...all, ...spec }), {}),
      })(c);

const TOKENS = [
  ref('conf.access'),
  ref('conf.refresh'),
  ref('conf.handle'),
  ref('other.access'),
  ref('other.handle'),
  ref('session.access'),
  ref('session.refresh'),
  ref('cc.access'),
];

const jsonJunk: fc.Arbitrary<JVal> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((json) => ({ json })),
  fc
    .constantFrom(null, 0, -1, 1.5, 1e308, 31_536_001, true, [], {}, ['x'], { $gt: '' })
    .map((json) => ({ json })),
);

/** A registration body: fields valid or not, operator flags smuggled in, or no object at all. */
const registerBody = (c: Chaos): fc.Arbitrary<Body | null> => {
  const field = (name: string, valid: readonly JVal[]) =>
    fc
      .option(
        fc.oneof(
          { weight: WEIGHTS[c].valid, arbitrary: fc.constantFrom(...valid) },
          { weight: WEIGHTS[c].malformed, arbitrary: malformed },
          { weight: WEIGHTS[c].malformed, arbitrary: jsonJunk },
        ),
        { nil: undefined, freq: WEIGHTS[c].omit },
      )
      .map((v): [string, JVal | undefined] => [name, v]);
  const entries = fc.tuple(
    field('name', [lit('Fuzzed app'), lit('abc'), lit('x'.repeat(255))]),
    field('type', [lit('CONFIDENTIAL'), lit('PUBLIC')]),
    field('description', [lit('Made by the fuzzer')]),
    field('url', [lit('https://fuzz.example/'), { json: null }]),
    field('redirect_uri', [
      lit('https://fuzz.example/cb'),
      lit('http://localhost:8080/cb'),
      { json: null },
    ]),
    field('refresh_token_expiry', [{ json: 3600 }, { json: 31_536_000 }, { json: null }]),
    field('source', [
      { json: { name: 'Fuzzed plugin', embed: [{ panel: 'match' }] } },
      { json: null },
    ]),
  );
  const extras = fc.array(
    fc.tuple(
      fc.constantFrom(
        'isSuper',
        'is_super',
        'super',
        'isAdmin',
        'admin',
        '__proto__',
        'constructor',
        'registered_by',
        'registeredBy',
        'registered_by_user_id',
        'registeredByUserId',
        'id',
        'client_id',
        'secret_digest',
        'name',
        'type',
      ),
      fc.oneof(
        fc.constantFrom<JVal>(
          { json: true },
          { json: { isSuper: true, isAdmin: true } },
          { json: 'x' },
        ),
        jsonJunk,
      ),
    ),
    { maxLength: 3 },
  );
  return usually(
    c,
    fc
      .tuple(entries, extras)
      .map(([known, extra]): Body => ({ kind: 'json', entries: [...known, ...extra] })),
    fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((value): Body => ({ kind: 'json-value', value })),
      fc
        .oneof(
          fc
            .constantFrom(
              '{"name": "Broken", "type": ',
              '{',
              '[',
              '{"a":1}}',
              'nul',
              "{'a':1}",
              '\ufeff{}',
              '{"name":"\\ud800"}',
            )
            .map(lit),
          malformed,
        )
        .map((text): Body => ({ kind: 'text', text })),
      fc.constant(null),
    ),
  );
};

interface RouteCase {
  name: string;
  runs: number;
  arb: (c: Chaos) => fc.Arbitrary<FuzzRequest>;
}

const ROUTES: RouteCase[] = [
  {
    name: 'POST /oauth2/token',
    runs: 90,
    arb: tokenRequest,
  },
  {
    name: 'POST /oauth2/token/list',
    runs: 70,
    arb: formPost(fixed('oauth2', 'token', 'list'), superCredentials, tokenListFields),
  },
  {
    name: 'POST /oauth2/revoke',
    runs: 40,
    arb: formPost(fixed('oauth2', 'revoke'), endpointCredentials, {
      token: TOKENS,
      token_type_hint: [lit('access_token'), lit('refresh_token'), lit('code')],
    }),
  },
  {
    name: 'POST /oauth2/revoke/super',
    runs: 40,
    arb: formPost(fixed('oauth2', 'revoke', 'super'), superCredentials, {
      token: TOKENS,
    }),
  },
  {
    name: 'POST /oauth2/revoke/super/all',
    runs: 40,
    arb: formPost(fixed('oauth2', 'revoke', 'super', 'all'), superCredentials, {
      client_id: [ref('conf.id'), ref('pub.id'), ref('super.id')],
    }),
  },
  {
    name: 'POST /oauth2/introspect',
    runs: 40,
    arb: formPost(fixed('oauth2', 'introspect'), endpointCredentials, {
      token: TOKENS,
      token_type_hint: [lit('access_token'), lit('refresh_token')],
    }),
  },
  {
    name: 'POST /oauth2/client/register (JSON)',
    runs: 60,
    arb: (c) =>
      fc.record({
        method: fc.constant('post' as const),
        path: fixed('oauth2', 'client', 'register'),
        query: fc.constant(null),
        auth: userAuth(c),
        body: registerBody(c),
        contentType: usually(
          c,
          fc.constant<string | null>('application/json'),
          fc.constantFrom(...ODD_JSON_TYPES),
        ),
        contentEncoding: contentEncodingArb(c),
        headers: fc.constant([]),
      }),
  },
  {
    name: 'POST /oauth2/client/list',
    runs: 40,
    arb: formPost(fixed('oauth2', 'client', 'list'), superCredentials, {
      filter_by: [lit('owned_only'), lit('authorized_only')],
    }),
  },
  {
    name: 'POST /oauth2/client/reset',
    runs: 40,
    arb: formPost(fixed('oauth2', 'client', 'reset'), userCredentials, {
      client_id: [ref('owned.id'), ref('owned.id'), ref('conf.id'), ref('pub.id'), ref('super.id')],
    }),
  },
  {
    name: 'POST /oauth2/client/{client_id}',
    runs: 40,
    arb: (c) =>
      formPost(
        paramArb([ref('conf.id'), ref('owned.id'), ref('super.id'), ref('pub.id')], c).map((p) => [
          'oauth2',
          'client',
          p,
        ]),
        superCredentials,
        {},
      )(c),
  },
  {
    name: 'DELETE /oauth2/client/deregister/{client_id}',
    runs: 40,
    arb: (c) =>
      fc.record({
        method: fc.constant('delete' as const),
        path: paramArb([ref('owned.id'), ref('owned.id'), ref('conf.id'), ref('super.id')], c).map(
          (p) => ['oauth2', 'client', 'deregister', p],
        ),
        query: fc.constant(null),
        auth: userAuth(c),
        body: usually(
          c,
          fc.constant(null),
          fc.record({ kind: fc.constant('text' as const), text: malformed }),
        ),
        contentType: usually(
          c,
          fc.constant(null),
          fc.constantFrom(FORM, 'application/json', 'text/plain'),
        ),
        contentEncoding: contentEncodingArb(c),
        headers: fc.constant([]),
      }),
  },
  {
    name: 'GET /oauth2/authorize',
    runs: 60,
    arb: (c) =>
      fc.record({
        method: fc.constant('get' as const),
        path: fixed('oauth2', 'authorize'),
        query: usually(
          c,
          fieldsArb(
            {
              response_type: [lit('code'), lit('code'), lit('code'), lit('token')],
              client_id: [
                ref('conf.id'),
                ref('conf.id'),
                ref('conf.id'),
                ref('pub.id'),
                ref('super.id'),
              ],
              redirect_uri: [ref('conf.redirect'), ref('pub.redirect')],
              scope: [lit('search'), lit('search match_info'), lit('all')],
              state: [lit('xyz')],
              code_challenge: [ref('pkce.challenge')],
              code_challenge_method: [lit('S256'), lit('S256'), lit('plain')],
            },
            c,
          ),
          fc.constant(null),
        ),
        auth: userAuth(c),
        body: fc.constant(null),
        contentType: fc.constant(null),
        contentEncoding: fc.constant(null),
        headers: fc.constant([]),
      }),
  },
  {
    name: 'GET /admin/users/{username}/tokens',
    runs: 50,
    arb: (c) =>
      fc.record({
        method: fc.constant('get' as const),
        path: paramArb([ref('user.name'), ref('other.name')], c).map((p) => [
          'admin',
          'users',
          p,
          'tokens',
        ]),
        query: fc.option(
          fieldsArb(
            { token_type: TOKEN_TYPES, client_id: [ref('conf.id'), ref('super.id')], ...PAGING },
            c,
          ),
          { nil: null, freq: 4 },
        ),
        auth: adminAuth(c),
        body: fc.constant(null),
        contentType: fc.constant(null),
        contentEncoding: fc.constant(null),
        headers: fc
          .option(
            fc.tuple(
              fc.constant('If-None-Match'),
              fc.constantFrom(
                '*',
                '"x"',
                'W/"x"',
                '',
                ',',
                '"',
                'W/',
                '*, "x"',
                `"${'a'.repeat(5_000)}"`,
              ),
            ),
            { nil: undefined, freq: 3 },
          )
          .map((header): Array<[string, string]> => (header ? [header] : [])),
      }),
  },
  {
    name: 'DELETE /admin/users/{username}/tokens[/{handle}]',
    runs: 40,
    arb: (c) =>
      fc.record({
        method: fc.constant('delete' as const),
        path: fc
          .tuple(
            paramArb([ref('user.name'), ref('other.name')], c),
            fc.option(
              paramArb([ref('conf.handle'), ref('other.handle'), ref('session.handle')], c),
              {
                nil: undefined,
                freq: 3,
              },
            ),
          )
          .map(([user, handle]) =>
            handle
              ? ['admin', 'users', user, 'tokens', handle]
              : ['admin', 'users', user, 'tokens'],
          ),
        query: fc.constant(null),
        auth: adminAuth(c),
        body: fc.constant(null),
        contentType: fc.constant(null),
        contentEncoding: fc.constant(null),
        headers: fc.constant([]),
      }),
  },
  {
    name: "POST /api/v1.0/oauth2/authorize (Kustvakt's form)",
    runs: 40,
    arb: formPost(
      fixed('api', 'v1.0', 'oauth2', 'authorize'),
      (c) => userAuth(c).map((auth): Credentials => ({ auth, pairs: [] })),
      {
        response_type: [lit('code'), lit('code'), lit('token')],
        client_id: [ref('conf.id'), ref('conf.id'), ref('pub.id'), ref('super.id')],
        redirect_uri: [ref('conf.redirect'), ref('pub.redirect')],
        scope: [lit('search'), lit('search match_info'), lit('all')],
        state: [lit('xyz')],
        code_challenge: [ref('pkce.challenge')],
        code_challenge_method: [lit('S256'), lit('plain')],
      },
    ),
  },
  {
    name: 'POST /api/v1.0/oauth2/token/list (Kustvakt alias)',
    runs: 30,
    arb: formPost(
      fixed('api', 'v1.0', 'oauth2', 'token', 'list'),
      superCredentials,
      tokenListFields,
    ),
  },
];

/** Calm and wild requests, half and half. */
const requestArb = (route: RouteCase): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(route.arb('calm'), route.arb('wild'));

// ---------------------------------------------------------------------------------------------

describe('fuzzing every route with malformed, oversized and injection-shaped input', () => {
  let t: TestApp;
  let fx: Fixture;

  before(async () => {
    // Throttling off, so that 429 does not mask the answers under test; no purge mid-run.
    t = await startTestApp({ RATE_LIMIT_MAX_FAILURES: '0', PURGE_INTERVAL: '0' });
    fx = await Fixture.create(t);
  });
  after(() => t.close());

  for (const [index, route] of ROUTES.entries()) {
    it(`${route.name}: no 5xx, JSON errors, no change on rejection (${runs(route.runs)} runs)`, async (test) => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(requestArb(route), async (request) => {
          const { status } = await exercise(t, fx, request);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }),
        // One seed per route, so that the routes do not all draw the same choices.
        { ...ASSERT_OPTIONS, seed: SEED + index, numRuns: runs(route.runs) },
      );
      test.diagnostic(`statuses: ${JSON.stringify([...statuses].sort((a, b) => a[0] - b[0]))}`);
      // The mix is meant to reach past authentication: some runs must be accepted.
      assert.ok(
        [...statuses.keys()].some((s) => s < 400),
        `no run was accepted: ${JSON.stringify([...statuses])}`,
      );
    });
  }
});

describe('fuzzing with brute-force throttling on', () => {
  let t: TestApp;
  let fx: Fixture;

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX_FAILURES: '3', PURGE_INTERVAL: '0' });
    fx = await Fixture.create(t);
  });
  after(() => t.close());

  it('answers 429 with Retry-After and a JSON body, and still no 5xx nor change', async () => {
    const mix = fc.oneof(
      ...ROUTES.filter((r) => /token|revoke|admin|introspect/.test(r.name)).map((r) =>
        r.arb('wild'),
      ),
    );
    let throttled = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mix, { minLength: 1, maxLength: 6 }), async (requests) => {
        for (const request of requests) {
          if ((await exercise(t, fx, request)).status === 429) throttled++;
        }
      }),
      { ...ASSERT_OPTIONS, numRuns: runs(25) },
    );
    assert.ok(throttled > 0, 'no request was throttled');
  });
});
