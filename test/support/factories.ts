import { createHash, randomBytes } from 'node:crypto';
import { Client } from '../../src/clients/client.entity';
import { ClientsService, type ClientRegistration } from '../../src/clients/clients.service';
import { User } from '../../src/users/user.entity';
import { UsersService } from '../../src/users/users.service';
import { basicAuth, bearer, type TestApp } from './test-app';

let counter = 0;
const unique = (prefix: string): string =>
  `${prefix}${++counter}_${randomBytes(3).toString('hex')}`;

export interface TestUser {
  /** users.id */
  id: number;
  username: string;
  password: string;
  /** `Authorization: Basic ...` for this user. */
  basic: string;
}

export interface TestClient {
  client_id: string;
  client_secret?: string;
  name: string;
  redirect_uri?: string;
}

/** Issued tokens as the token endpoint returned them. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

export async function createUser(t: TestApp, username = unique('user')): Promise<TestUser> {
  const password = `pw-${randomBytes(8).toString('hex')}`;
  await t.get(UsersService).create(username, password);
  const { id } = await t.dataSource.getRepository(User).findOneByOrFail({ username });
  return { id, username, password, basic: basicAuth(username, password) };
}

export async function createClient(
  t: TestApp,
  registration: Partial<ClientRegistration> = {},
): Promise<TestClient> {
  const name = registration.name ?? unique('client ');
  const redirectUri =
    'redirectUri' in registration
      ? registration.redirectUri
      : `https://${unique('app')}.example/callback`;
  const credentials = await t.get(ClientsService).register(
    {
      type: 'CONFIDENTIAL',
      description: `${name}, a test client`,
      url: 'https://example.org/',
      ...registration,
      name,
      redirectUri,
    },
    null,
  );
  return { ...credentials, name, redirect_uri: redirectUri };
}

/**
 * Writes a client row straight into the table, past every rule of registration: a row an
 * older version of tokenvakt or a hand edit left behind. Returns its id.
 */
export async function insertClientRow(t: TestApp, fields: Partial<Client>): Promise<string> {
  const id = fields.id ?? unique('row');
  await t.dataSource.getRepository(Client).insert({
    name: `${id}, inserted directly`,
    type: 'CONFIDENTIAL',
    secretDigest: null,
    isSuper: false,
    isAdmin: false,
    mayIntrospect: false,
    registeredBy: null,
    registrationDate: new Date(),
    ...fields,
    id,
  });
  return id;
}

export function createSuperClient(t: TestApp): Promise<TestClient> {
  return createClient(t, { isSuper: true, redirectUri: undefined, name: unique('super ') });
}

export function clientBasic(client: TestClient): string {
  return basicAuth(client.client_id, client.client_secret ?? '');
}

/** The super client logs the user in with the password grant; returns its session tokens. */
export async function login(
  t: TestApp,
  superClient: TestClient,
  user: TestUser,
): Promise<TokenResponse> {
  const res = await t
    .http()
    .post('/oauth2/token')
    .set('Authorization', clientBasic(superClient))
    .type('form')
    .send({ grant_type: 'password', username: user.username, password: user.password });
  if (res.status !== 200)
    throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as TokenResponse;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * The user authorizes `client` through the super client's session, and the client exchanges
 * the code: the whole authorization-code flow over HTTP.
 */
export async function authorizeAndExchange(
  t: TestApp,
  options: { session: TokenResponse; client: TestClient; scope?: string },
): Promise<TokenResponse> {
  const code = await authorizeCode(t, options);
  const pkce = options.client.client_secret === undefined ? codeVerifiers.get(code) : undefined;
  const res = await t
    .http()
    .post('/oauth2/token')
    .type('form')
    .send({
      grant_type: 'authorization_code',
      code,
      client_id: options.client.client_id,
      ...(options.client.client_secret === undefined
        ? {}
        : { client_secret: options.client.client_secret }),
      ...(pkce === undefined ? {} : { code_verifier: pkce }),
    });
  if (res.status !== 200)
    throw new Error(`code exchange failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as TokenResponse;
}

const codeVerifiers = new Map<string, string>();

/** Runs the authorize request and returns the code from the redirect. Public clients use PKCE. */
export async function authorizeCode(
  t: TestApp,
  options: { session: TokenResponse; client: TestClient; scope?: string },
): Promise<string> {
  const pkce = options.client.client_secret === undefined ? pkcePair() : undefined;
  const res = await t
    .http()
    .get('/oauth2/authorize')
    .set('Authorization', bearer(options.session.access_token))
    .query({
      response_type: 'code',
      client_id: options.client.client_id,
      scope: options.scope ?? 'search match_info',
      state: 'state-1',
      ...(pkce ? { code_challenge: pkce.challenge, code_challenge_method: 'S256' } : {}),
    });
  if (res.status !== 302)
    throw new Error(`authorize failed: ${res.status} ${JSON.stringify(res.body)}`);
  const code = new URL(res.headers.location as string).searchParams.get('code');
  if (code === null)
    throw new Error(`authorize redirected without a code: ${res.headers.location as string}`);
  if (pkce) codeVerifiers.set(code, pkce.verifier);
  return code;
}

/** POST /oauth2/token/list as the super client for the user behind `authorization`. */
export function listTokens(
  t: TestApp,
  superClient: TestClient,
  authorization: string,
  form: Record<string, string> = {},
) {
  return t
    .http()
    .post('/oauth2/token/list')
    .set('Authorization', authorization)
    .type('form')
    .send({
      super_client_id: superClient.client_id,
      super_client_secret: superClient.client_secret ?? '',
      token_type: 'access_token',
      ...form,
    });
}

/** Form fields; an undefined value means the field is left out. */
export type Form = Record<string, string | undefined>;

/** POSTs a form, leaving out fields whose value is undefined and the header when it is. */
export function postForm(t: TestApp, path: string, authorization: string | undefined, form: Form) {
  const fields = Object.fromEntries(
    Object.entries(form).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const req = t.http().post(path);
  if (authorization !== undefined) req.set('Authorization', authorization);
  return req.type('form').send(fields);
}

/** A JWT-shaped token of `length` characters, as another issuer would sign it. */
export function foreignJwt(length: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: 'https://other.example', sub: 'alice' })}.`;
  return (
    head +
    randomBytes(length)
      .toString('base64url')
      .slice(0, length - head.length)
  );
}
