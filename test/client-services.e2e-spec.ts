import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { AuthorizationCode } from '../src/authorization/authorization-code.entity';
import { ClientsService } from '../src/clients/clients.service';
import { Token } from '../src/tokens/token.entity';
import {
  authorizeAndExchange,
  authorizeCode,
  clientBasic,
  createClient,
  createSuperClient,
  createUser,
  listTokens,
  login,
  type TestClient,
  type TestUser,
  type TokenResponse,
  postForm,
  type Form,
} from './support/factories';
import { basicAuth, bearer, startTestApp, type TestApp } from './support/test-app';
import { expectOAuthError as expectError } from './support/assertions';

interface ClientInfo {
  client_id: string;
  client_name: string;
  client_type: string;
  client_description: string | null;
  client_url: string | null;
  client_redirect_uri: string | null;
  registration_date?: string;
  refresh_token_expiry?: number | null;
}

interface ListEntry {
  token: string;
  token_type: string;
  client_id: string;
}

/** What anyone sees of a client without a source (README: Client registration and info). */
const BASE_KEYS = [
  'client_description',
  'client_id',
  'client_name',
  'client_redirect_uri',
  'client_type',
  'client_url',
  'permitted',
  'super',
];
const REGISTRANT_KEYS = [...BASE_KEYS, 'refresh_token_expiry', 'registration_date'].sort();
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** 401 invalid_token with the challenge of the scheme the caller tried (Bearer when none). */
function expectInvalidToken(res: Response, scheme: 'Bearer' | 'Basic' = 'Bearer'): void {
  expectError(res, 401, 'invalid_token');
  assert.equal(res.headers['www-authenticate'], `${scheme} realm="tokenvakt"`);
}

const unique = (prefix: string): string => `${prefix} ${randomBytes(3).toString('hex')}`;

describe('client services (README: API at a glance)', () => {
  let t: TestApp;
  let superClient: TestClient;
  let otherSuper: TestClient;
  /** Registered by an operator (no registrant). */
  let operatorClient: TestClient;
  let resourceServer: TestClient;
  let alice: TestUser;
  let bob: TestUser;
  let aliceSession: TokenResponse;
  let bobSession: TokenResponse;
  let aliceAuth: string;
  let bobAuth: string;
  // Registered by alice through the super client.
  let zeta: TestClient;
  let alpha: TestClient;
  let mu: TestClient;
  /** Registered by alice, then made super by an operator. */
  let gamma: TestClient;
  // Registered by bob.
  let beta: TestClient;
  let registeredFrom: number;
  let registeredUntil: number;

  before(async () => {
    t = await startTestApp();
    superClient = await createSuperClient(t);
    otherSuper = await createSuperClient(t);
    operatorClient = await createClient(t, { name: 'Operator Stats' });
    resourceServer = await createClient(t, {
      name: 'Resource server',
      redirectUri: undefined,
      mayIntrospect: true,
    });
    alice = await createUser(t);
    bob = await createUser(t);
    aliceSession = await login(t, superClient, alice);
    bobSession = await login(t, superClient, bob);
    aliceAuth = bearer(aliceSession.access_token);
    bobAuth = bearer(bobSession.access_token);
    registeredFrom = Date.now();
    zeta = await registerClient(aliceAuth, {
      name: 'Zeta Exporter',
      type: 'CONFIDENTIAL',
      description: 'Exports things.',
      url: 'https://zeta.example/',
      redirect_uri: 'https://zeta.example/callback',
      refresh_token_expiry: 86_400,
    });
    alpha = await registerClient(aliceAuth, {
      name: 'Alpha Notes',
      type: 'CONFIDENTIAL',
      description: 'Takes notes.',
      redirect_uri: 'https://alpha.example/cb',
    });
    mu = await registerClient(aliceAuth, {
      name: 'Mu Script',
      type: 'PUBLIC',
      description: 'A script.',
      url: 'https://mu.example/',
      redirect_uri: 'http://127.0.0.1:9999/cb',
    });
    gamma = await registerClient(aliceAuth, {
      name: 'Gamma First-party',
      type: 'CONFIDENTIAL',
      description: 'Becomes super.',
      redirect_uri: 'https://gamma.example/cb',
    });
    registeredUntil = Date.now();
    await t.get(ClientsService).setFlag(gamma.client_id, 'super', true);
    beta = await registerClient(bobAuth, {
      name: 'Beta Bob Tool',
      type: 'CONFIDENTIAL',
      description: "Bob's tool.",
      redirect_uri: 'https://beta.example/cb',
    });
  });
  after(() => t.close());

  /** POST /oauth2/client/register as the user; returns a TestClient usable by the factories. */
  async function registerClient(
    authorization: string,
    body: Record<string, unknown> & { name: string; redirect_uri?: string },
  ): Promise<TestClient> {
    const res = await t
      .http()
      .post('/oauth2/client/register')
      .set('Authorization', authorization)
      .send(body);
    assert.equal(res.status, 200, res.text);
    const registered = res.body as { client_id: string; client_secret?: string };
    return { ...registered, name: body.name, redirect_uri: body.redirect_uri };
  }

  const superCredentials = (client: TestClient = superClient): Form => ({
    super_client_id: client.client_id,
    super_client_secret: client.client_secret,
  });

  const clientList = (authorization: string | undefined, form: Form) =>
    postForm(t, '/oauth2/client/list', authorization, { ...superCredentials(), ...form });

  const listed = async (authorization: string, filterBy: string): Promise<ClientInfo[]> => {
    const res = await clientList(authorization, { filter_by: filterBy });
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.body));
    return res.body as ClientInfo[];
  };

  const listedIds = async (authorization: string, filterBy: string): Promise<string[]> =>
    (await listed(authorization, filterBy)).map((c) => c.client_id);

  const clientInfo = (
    clientId: string,
    authorization: string | undefined,
    form: Form = {},
    prefix = '',
  ) =>
    postForm(t, `${prefix}/oauth2/client/${encodeURIComponent(clientId)}`, authorization, {
      ...superCredentials(),
      ...form,
    });

  const deregister = (clientId: string, authorization: string | undefined, prefix = '') => {
    const req = t
      .http()
      .delete(`${prefix}/oauth2/client/deregister/${encodeURIComponent(clientId)}`);
    if (authorization !== undefined) req.set('Authorization', authorization);
    return req;
  };

  const reset = (authorization: string | undefined, form: Form) =>
    postForm(t, '/oauth2/client/reset', authorization, form);

  /** client_credentials at /oauth2/token with client_secret_post. */
  const clientCredentials = (clientId: string, secret: string) =>
    t.http().post('/oauth2/token').type('form').send({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope: 'search',
    });

  const listedTokenClients = async (session: TokenResponse, tokenType = 'access_token') => {
    const res = await listTokens(t, superClient, bearer(session.access_token), {
      token_type: tokenType,
    });
    assert.equal(res.status, 200, res.text);
    return (res.body as ListEntry[]).map((e) => e.client_id);
  };

  const tokenRepo = () => t.dataSource.getRepository(Token);

  describe('POST /oauth2/client/list filter_by=owned_only', () => {
    it('lists the clients the user registered, sorted by name, with the registrant fields', async () => {
      const clients = await listed(aliceAuth, 'owned_only');
      assert.deepEqual(
        clients.map((c) => c.client_name),
        ['Alpha Notes', 'Mu Script', 'Zeta Exporter'],
      );
      assert.deepEqual(
        clients.map((c) => c.client_id),
        [alpha.client_id, mu.client_id, zeta.client_id],
      );
      for (const client of clients) {
        assert.deepEqual(Object.keys(client).sort(), REGISTRANT_KEYS);
        assert.match(client.registration_date ?? '', ISO_MS);
        const registered = Date.parse(client.registration_date ?? '');
        assert.ok(registered >= registeredFrom - 1000 && registered <= registeredUntil + 1000);
      }
      const [a, m, z] = clients;
      assert.ok(a && m && z);
      assert.deepEqual(a, {
        client_id: alpha.client_id,
        client_name: 'Alpha Notes',
        client_type: 'CONFIDENTIAL',
        client_description: 'Takes notes.',
        client_url: null,
        client_redirect_uri: 'https://alpha.example/cb',
        super: false,
        permitted: true,
        registration_date: a.registration_date,
        refresh_token_expiry: 31_536_000,
      });
      assert.deepEqual(m, {
        client_id: mu.client_id,
        client_name: 'Mu Script',
        client_type: 'PUBLIC',
        client_description: 'A script.',
        client_url: 'https://mu.example/',
        client_redirect_uri: 'http://127.0.0.1:9999/cb',
        super: false,
        permitted: true,
        registration_date: m.registration_date,
        refresh_token_expiry: null,
      });
      assert.deepEqual(z, {
        client_id: zeta.client_id,
        client_name: 'Zeta Exporter',
        client_type: 'CONFIDENTIAL',
        client_description: 'Exports things.',
        client_url: 'https://zeta.example/',
        client_redirect_uri: 'https://zeta.example/callback',
        super: false,
        permitted: true,
        registration_date: z.registration_date,
        refresh_token_expiry: 86_400,
      });
    });

    it("never lists another user's clients, super clients, or operator clients", async () => {
      const aliceIds = await listedIds(aliceAuth, 'owned_only');
      assert.ok(!aliceIds.includes(beta.client_id));
      assert.ok(!aliceIds.includes(gamma.client_id), 'a super client was listed');
      assert.ok(!aliceIds.includes(superClient.client_id));
      assert.ok(!aliceIds.includes(operatorClient.client_id));
      assert.deepEqual(await listedIds(bobAuth, 'owned_only'), [beta.client_id]);
      const nobody = await createUser(t);
      assert.deepEqual(await listedIds(nobody.basic, 'owned_only'), []);
    });

    it('identifies the user by Basic credentials as well as by the session', async () => {
      assert.deepEqual(
        await listedIds(alice.basic, 'owned_only'),
        await listedIds(aliceAuth, 'owned_only'),
      );
    });

    it('is served under /api/v1.0/ and /api/v1.1/', async () => {
      for (const prefix of ['/api/v1.0', '/api/v1.1']) {
        const res = await postForm(t, `${prefix}/oauth2/client/list`, aliceAuth, {
          ...superCredentials(),
          filter_by: 'owned_only',
        });
        assert.equal(res.status, 200, prefix);
        assert.equal((res.body as ClientInfo[]).length, 3);
      }
    });
  });

  describe('POST /oauth2/client/list filter_by=authorized_only', () => {
    it('lists clients holding a live token of the user, sorted by name, never a super client', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      // Sessions with two more super clients: they hold the user's tokens but are never listed.
      await login(t, otherSuper, user);
      await login(t, gamma, user);
      for (const client of [zeta, operatorClient, beta, mu]) {
        await authorizeAndExchange(t, { session, client });
      }
      const clients = await listed(bearer(session.access_token), 'authorized_only');
      assert.deepEqual(
        clients.map((c) => c.client_name),
        ['Beta Bob Tool', 'Mu Script', 'Operator Stats', 'Zeta Exporter'],
      );
      assert.deepEqual(
        clients.map((c) => c.client_id),
        [beta.client_id, mu.client_id, operatorClient.client_id, zeta.client_id],
      );
      // The user registered none of them: the registrant-only fields are absent.
      for (const client of clients) assert.deepEqual(Object.keys(client).sort(), BASE_KEYS);
      const z = clients.find((c) => c.client_id === zeta.client_id);
      assert.deepEqual(z, {
        client_id: zeta.client_id,
        client_name: 'Zeta Exporter',
        client_type: 'CONFIDENTIAL',
        client_description: 'Exports things.',
        client_url: 'https://zeta.example/',
        client_redirect_uri: 'https://zeta.example/callback',
        super: false,
        permitted: true,
      });
    });

    it('shows the registrant fields only for the clients the user registered', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const auth = bearer(session.access_token);
      const own = await registerClient(auth, {
        name: 'Own Client',
        type: 'CONFIDENTIAL',
        description: 'Mine.',
        redirect_uri: 'https://own.example/cb',
      });
      await authorizeAndExchange(t, { session, client: own });
      await authorizeAndExchange(t, { session, client: operatorClient });
      const clients = await listed(auth, 'authorized_only');
      assert.deepEqual(
        clients.map((c) => c.client_id),
        [operatorClient.client_id, own.client_id],
      );
      const [operator, mine] = clients;
      assert.deepEqual(Object.keys(operator ?? {}).sort(), BASE_KEYS);
      assert.deepEqual(Object.keys(mine ?? {}).sort(), REGISTRANT_KEYS);
      assert.equal(mine?.client_redirect_uri, 'https://own.example/cb');
      assert.equal(mine?.refresh_token_expiry, 31_536_000);
    });

    it('does not list a client for its client-credentials tokens, or for the tokens of other users', async () => {
      const user = await createUser(t);
      assert.equal(
        (await clientCredentials(alpha.client_id, alpha.client_secret ?? '')).status,
        200,
      );
      await authorizeAndExchange(t, { session: bobSession, client: alpha });
      assert.deepEqual(await listedIds(user.basic, 'authorized_only'), []);
    });

    it('changes when tokens are revoked', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const auth = bearer(session.access_token);
      await authorizeAndExchange(t, { session, client: zeta });
      const operatorTokens = await authorizeAndExchange(t, { session, client: operatorClient });
      assert.deepEqual(await listedIds(auth, 'authorized_only'), [
        operatorClient.client_id,
        zeta.client_id,
      ]);

      const revokeAll = await postForm(t, '/oauth2/revoke/super/all', auth, {
        ...superCredentials(),
        client_id: zeta.client_id,
      });
      assert.equal(revokeAll.status, 200, revokeAll.text);
      assert.deepEqual(await listedIds(auth, 'authorized_only'), [operatorClient.client_id]);

      // Authorized again, it is back.
      await authorizeAndExchange(t, { session, client: zeta });
      assert.deepEqual(await listedIds(auth, 'authorized_only'), [
        operatorClient.client_id,
        zeta.client_id,
      ]);

      // The access token alone revoked: the live refresh token keeps the client listed.
      const revokeOne = await postForm(t, '/oauth2/revoke/super', auth, {
        ...superCredentials(),
        token: operatorTokens.access_token,
      });
      assert.equal(revokeOne.status, 200, revokeOne.text);
      assert.deepEqual(await listedIds(auth, 'authorized_only'), [
        operatorClient.client_id,
        zeta.client_id,
      ]);
      // The refresh token revoked too (RFC 7009 at the client's own endpoint): gone.
      const revoked = await t
        .http()
        .post('/oauth2/revoke')
        .set('Authorization', clientBasic(operatorClient))
        .type('form')
        .send({ token: operatorTokens.refresh_token ?? '' });
      assert.equal(revoked.status, 200, revoked.text);
      assert.deepEqual(await listedIds(auth, 'authorized_only'), [zeta.client_id]);
    });

    it('changes when tokens expire', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const auth = bearer(session.access_token);
      await authorizeAndExchange(t, { session, client: zeta });
      await authorizeAndExchange(t, { session, client: mu });
      assert.deepEqual(await listedIds(auth, 'authorized_only'), [mu.client_id, zeta.client_id]);
      const past = new Date(Date.now() - 1000);

      // The public client has only an access token; once it expires the client goes.
      await tokenRepo().update(
        { username: user.username, clientId: mu.client_id },
        { expiresAt: past },
      );
      assert.deepEqual(await listedIds(auth, 'authorized_only'), [zeta.client_id]);

      // Only the access token expired: the refresh token still holds the grant.
      await tokenRepo().update(
        { username: user.username, clientId: zeta.client_id, type: 'access_token' },
        { expiresAt: past },
      );
      assert.deepEqual(await listedIds(auth, 'authorized_only'), [zeta.client_id]);
      await tokenRepo().update(
        { username: user.username, clientId: zeta.client_id, type: 'refresh_token' },
        { expiresAt: past },
      );
      assert.deepEqual(await listedIds(auth, 'authorized_only'), []);
    });
  });

  describe("POST /api/v1.x/oauth2/client/list without filter_by (Kustvakt's parameters)", () => {
    /** A user with one authorized client (zeta), one owned client, and one that is both. */
    let user: TestUser;
    let auth: string;
    let own: TestClient;
    let ownAuthorized: TestClient;

    before(async () => {
      user = await createUser(t);
      const session = await login(t, superClient, user);
      auth = bearer(session.access_token);
      own = await registerClient(auth, {
        name: 'Kappa Own',
        type: 'CONFIDENTIAL',
        description: 'Owned only.',
        redirect_uri: 'https://kappa.example/cb',
      });
      ownAuthorized = await registerClient(auth, {
        name: 'Eta Own',
        type: 'CONFIDENTIAL',
        description: 'Owned and authorized.',
        redirect_uri: 'https://eta.example/cb',
      });
      await authorizeAndExchange(t, { session, client: zeta });
      await authorizeAndExchange(t, { session, client: ownAuthorized });
    });

    const ids = async (version: string, form: Form): Promise<string[]> => {
      const res = await postForm(t, `/api/${version}/oauth2/client/list`, auth, {
        ...superCredentials(),
        ...form,
      });
      assert.equal(res.status, 200, res.text);
      return (res.body as ClientInfo[]).map((c) => c.client_id);
    };

    it('v1.0 lists the owned clients without parameters, with filter_by empty, and for authorized_only=no (older Kalamar)', async () => {
      const owned = [ownAuthorized.client_id, own.client_id];
      assert.deepEqual(await ids('v1.0', {}), owned);
      assert.deepEqual(await ids('v1.0', { filter_by: '' }), owned);
      assert.deepEqual(await ids('v1.0', { authorized_only: 'no' }), owned);
      assert.deepEqual(await ids('v1.0', { authorized_only: 'false', filter_by: '' }), owned);
    });

    it('v1.0 lists the authorized clients for authorized_only=true (any case), which wins over filter_by', async () => {
      const authorized = [ownAuthorized.client_id, zeta.client_id];
      assert.deepEqual(await ids('v1.0', { authorized_only: 'true' }), authorized);
      assert.deepEqual(await ids('v1.0', { authorized_only: 'TRUE' }), authorized);
      assert.deepEqual(
        await ids('v1.0', { authorized_only: 'true', filter_by: 'owned_only' }),
        authorized,
      );
    });

    it('v1.1 lists the authorized clients, then the owned ones, each once; authorized_only is ignored', async () => {
      const both = [ownAuthorized.client_id, zeta.client_id, own.client_id];
      assert.deepEqual(await ids('v1.1', {}), both);
      assert.deepEqual(await ids('v1.1', { filter_by: '' }), both);
      assert.deepEqual(await ids('v1.1', { authorized_only: 'no' }), both);
      assert.deepEqual(await ids('v1.1', { authorized_only: 'true' }), both);
    });

    it('filter_by decides on both versions', async () => {
      for (const version of ['v1.0', 'v1.1']) {
        assert.deepEqual(await ids(version, { filter_by: 'owned_only', authorized_only: 'no' }), [
          ownAuthorized.client_id,
          own.client_id,
        ]);
        assert.deepEqual(await ids(version, { filter_by: 'authorized_only' }), [
          ownAuthorized.client_id,
          zeta.client_id,
        ]);
        expectError(
          await postForm(t, `/api/${version}/oauth2/client/list`, auth, {
            ...superCredentials(),
            filter_by: 'foo',
          }),
          400,
          'invalid_request',
        );
      }
    });

    it('still authenticates the super client first', async () => {
      const res = await postForm(t, '/api/v1.0/oauth2/client/list', auth, {
        ...superCredentials(),
        super_client_secret: 'wrong',
        authorized_only: 'no',
      });
      expectError(res, 401, 'invalid_client');
    });

    it('keeps filter_by required on /oauth2/client/list, where authorized_only means nothing', async () => {
      for (const form of [{}, { filter_by: '' }, { authorized_only: 'true' }]) {
        expectError(
          await postForm(t, '/oauth2/client/list', auth, { ...superCredentials(), ...form }),
          400,
          'invalid_request',
        );
      }
    });

    it('refuses an authorized_only longer than 16 characters with 400', async () => {
      expectError(
        await postForm(t, '/api/v1.0/oauth2/client/list', auth, {
          ...superCredentials(),
          authorized_only: 'x'.repeat(17),
        }),
        400,
        'invalid_request',
      );
    });
  });

  describe('POST /oauth2/client/list errors', () => {
    it('refuses a missing filter_by with 400 invalid_request', async () => {
      expectError(await clientList(aliceAuth, {}), 400, 'invalid_request');
    });

    it('refuses filter_by=foo with 400 invalid_request', async () => {
      expectError(await clientList(aliceAuth, { filter_by: 'foo' }), 400, 'invalid_request');
    });

    it('refuses missing super-client fields with 400 invalid_request', async () => {
      expectError(
        await clientList(aliceAuth, { filter_by: 'owned_only', super_client_id: undefined }),
        400,
        'invalid_request',
      );
      expectError(
        await clientList(aliceAuth, { filter_by: 'owned_only', super_client_secret: undefined }),
        400,
        'invalid_request',
      );
    });

    it('refuses a wrong secret and an unknown super client alike with 401 invalid_client', async () => {
      const wrong = await clientList(aliceAuth, {
        filter_by: 'owned_only',
        super_client_secret: 'wrong',
      });
      expectError(wrong, 401, 'invalid_client');
      const unknown = await clientList(aliceAuth, {
        filter_by: 'owned_only',
        super_client_id: `no-such-${randomBytes(4).toString('hex')}`,
      });
      expectError(unknown, 401, 'invalid_client');
      assert.equal(unknown.body.error_description, wrong.body.error_description);
    });

    it('refuses a client that is not super with 403 unauthorized_client', async () => {
      const res = await clientList(aliceAuth, {
        ...superCredentials(operatorClient),
        filter_by: 'owned_only',
      });
      expectError(res, 403, 'unauthorized_client');
    });

    it('refuses a missing user authentication with 401 invalid_token', async () => {
      expectInvalidToken(await clientList(undefined, { filter_by: 'owned_only' }));
      expectInvalidToken(await clientList(undefined, { filter_by: 'authorized_only' }));
    });

    it('refuses a wrong password with 401 invalid_token', async () => {
      expectInvalidToken(
        await clientList(basicAuth(bob.username, `${bob.password}x`), { filter_by: 'owned_only' }),
        'Basic',
      );
    });

    it("refuses a third-party client's token as user authentication with 403 insufficient_scope", async () => {
      const issued = await authorizeAndExchange(t, { session: bobSession, client: operatorClient });
      const res = await clientList(bearer(issued.access_token), { filter_by: 'owned_only' });
      expectError(res, 403, 'insufficient_scope');
    });

    it('refuses a JSON body with 415', async () => {
      const res = await t
        .http()
        .post('/oauth2/client/list')
        .set('Authorization', aliceAuth)
        .type('json')
        .send({ ...superCredentials(), filter_by: 'owned_only' });
      expectError(res, 415);
    });
  });

  describe('POST /oauth2/client/{client_id}', () => {
    it('shows the registrant the registrant fields', async () => {
      const res = await clientInfo(zeta.client_id, aliceAuth);
      assert.equal(res.status, 200, res.text);
      const info = res.body as ClientInfo;
      assert.deepEqual(Object.keys(info).sort(), REGISTRANT_KEYS);
      assert.match(info.registration_date ?? '', ISO_MS);
      assert.deepEqual(info, {
        client_id: zeta.client_id,
        client_name: 'Zeta Exporter',
        client_type: 'CONFIDENTIAL',
        client_description: 'Exports things.',
        client_url: 'https://zeta.example/',
        client_redirect_uri: 'https://zeta.example/callback',
        super: false,
        permitted: true,
        registration_date: info.registration_date,
        refresh_token_expiry: 86_400,
      });
      const pub = (await clientInfo(mu.client_id, alice.basic)).body as ClientInfo;
      assert.equal(pub.client_type, 'PUBLIC');
      assert.equal(pub.refresh_token_expiry, null);
      const defaulted = (await clientInfo(alpha.client_id, aliceAuth)).body as ClientInfo;
      assert.equal(defaulted.refresh_token_expiry, 31_536_000);
    });

    it('shows other users only the public fields, the redirect URI among them', async () => {
      const res = await clientInfo(zeta.client_id, bobAuth);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, {
        client_id: zeta.client_id,
        client_name: 'Zeta Exporter',
        client_type: 'CONFIDENTIAL',
        client_description: 'Exports things.',
        client_url: 'https://zeta.example/',
        client_redirect_uri: 'https://zeta.example/callback',
        super: false,
        permitted: true,
      });
      const operator = await clientInfo(operatorClient.client_id, aliceAuth);
      assert.equal(operator.status, 200);
      assert.deepEqual(Object.keys(operator.body as object).sort(), BASE_KEYS);
      assert.equal(JSON.stringify(operator.body).includes('secret'), false);
    });

    it('answers an unknown client with 404 and a JSON error', async () => {
      expectError(await clientInfo(`no-such-${randomBytes(4).toString('hex')}`, aliceAuth), 404);
    });

    it('refuses a wrong super secret with 401 invalid_client', async () => {
      expectError(
        await clientInfo(zeta.client_id, aliceAuth, { super_client_secret: 'wrong' }),
        401,
        'invalid_client',
      );
    });

    it('refuses missing super-client fields with 400, and a client that is not super with 403', async () => {
      expectError(
        await clientInfo(zeta.client_id, aliceAuth, { super_client_secret: undefined }),
        400,
        'invalid_request',
      );
      expectError(
        await clientInfo(zeta.client_id, aliceAuth, superCredentials(operatorClient)),
        403,
        'unauthorized_client',
      );
    });

    it('shows the public fields without user authentication, but refuses a bad one with 401 invalid_token', async () => {
      const anonymous = await clientInfo(zeta.client_id, undefined);
      assert.equal(anonymous.status, 200, anonymous.text);
      assert.deepEqual(anonymous.body, (await clientInfo(zeta.client_id, bobAuth)).body);
      expectInvalidToken(await clientInfo(zeta.client_id, bearer('tva_unknown')));
      expectInvalidToken(
        await clientInfo(zeta.client_id, basicAuth(alice.username, 'wrong')),
        'Basic',
      );
    });

    it('is served under /api/v1.0/ and /api/v1.1/', async () => {
      for (const prefix of ['/api/v1.0', '/api/v1.1']) {
        const res = await clientInfo(zeta.client_id, aliceAuth, {}, prefix);
        assert.equal(res.status, 200, `${prefix}: ${res.text}`);
        assert.equal((res.body as ClientInfo).client_id, zeta.client_id);
        assert.equal((res.body as ClientInfo).refresh_token_expiry, 86_400);
      }
    });

    it('does not shadow POST /oauth2/client/list and /oauth2/client/register', async () => {
      for (const prefix of ['', '/api/v1.0']) {
        const list = await postForm(t, `${prefix}/oauth2/client/list`, aliceAuth, {
          ...superCredentials(),
          filter_by: 'owned_only',
        });
        assert.equal(list.status, 200, list.text);
        assert.ok(Array.isArray(list.body), `${prefix}/oauth2/client/list answered ${list.text}`);
        const register = await t
          .http()
          .post(`${prefix}/oauth2/client/register`)
          .set('Authorization', aliceAuth)
          .send({ name: unique('Shadow test'), type: 'PUBLIC', description: 'Not shadowed.' });
        assert.equal(register.status, 200, register.text);
        assert.deepEqual(Object.keys(register.body as object), ['client_id']);
        // Clean up so alice's owned list stays as the other tests expect it.
        assert.equal(
          (await deregister((register.body as { client_id: string }).client_id, aliceAuth)).status,
          200,
        );
      }
    });
  });

  describe('a wrong method on a client route (RFC 9110 §15.5.6)', () => {
    it('answers DELETE /oauth2/client/deregister without an id with 405 and Allow: POST, as Kustvakt does', async () => {
      for (const prefix of ['', '/api/v1.0', '/api/v1.1']) {
        const res = await t
          .http()
          .delete(`${prefix}/oauth2/client/deregister`)
          .set('Authorization', aliceAuth);
        expectError(res, 405, 'invalid_request');
        assert.equal(res.headers.allow, 'POST', prefix);
      }
    });

    it('answers any other method on client/<one segment> with 405 and Allow: POST', async () => {
      for (const path of ['list', 'register', 'reset', zeta.client_id]) {
        for (const method of ['get', 'put', 'patch', 'delete'] as const) {
          const res = await t.http()[method](`/api/v1.1/oauth2/client/${path}`);
          expectError(res, 405, 'invalid_request');
          assert.equal(res.headers.allow, 'POST', `${method} ${path}`);
        }
      }
      const head = await t.http().head('/oauth2/client/list');
      assert.equal(head.status, 405);
      assert.equal(head.headers.allow, 'POST');
    });

    it('answers any method but DELETE on client/deregister/{client_id} with 405 and Allow: DELETE, changing nothing', async () => {
      for (const method of ['get', 'post', 'put', 'patch'] as const) {
        const http = t.http();
        const res = await http[method](`/oauth2/client/deregister/${zeta.client_id}`).set(
          'Authorization',
          aliceAuth,
        );
        expectError(res, 405, 'invalid_request');
        assert.equal(res.headers.allow, 'DELETE', method);
      }
      const info = await clientInfo(zeta.client_id, aliceAuth);
      assert.equal(info.status, 200, info.text);
    });

    it('leaves unknown paths under client/ at 404', async () => {
      expectError(await t.http().get('/oauth2/client/a/b/c'), 404, 'not_found');
      expectError(await t.http().post('/oauth2/client/deregister/x/y'), 404, 'not_found');
    });
  });

  describe('DELETE /oauth2/client/deregister/{client_id}', () => {
    it('lets the registrant delete the client: tokens revoked and unlisted, codes deleted, secret dead', async () => {
      const doomed = await registerClient(aliceAuth, {
        name: unique('Doomed'),
        type: 'CONFIDENTIAL',
        description: 'Will be deregistered.',
        redirect_uri: 'https://doomed.example/cb',
      });
      const carol = await createUser(t);
      const carolSession = await login(t, superClient, carol);
      const aliceIssued = await authorizeAndExchange(t, { session: aliceSession, client: doomed });
      await authorizeAndExchange(t, { session: bobSession, client: doomed });
      await authorizeAndExchange(t, { session: carolSession, client: doomed });
      await authorizeAndExchange(t, { session: carolSession, client: operatorClient });
      const cc = await clientCredentials(doomed.client_id, doomed.client_secret ?? '');
      assert.equal(cc.status, 200, cc.text);
      const pendingCode = await authorizeCode(t, { session: bobSession, client: doomed });
      const codes = () =>
        t.dataSource.getRepository(AuthorizationCode).countBy({ clientId: doomed.client_id });
      assert.ok((await codes()) >= 1);
      for (const session of [aliceSession, bobSession, carolSession]) {
        assert.ok((await listedTokenClients(session)).includes(doomed.client_id));
        assert.ok((await listedTokenClients(session, 'refresh_token')).includes(doomed.client_id));
        assert.ok(
          (await listedIds(bearer(session.access_token), 'authorized_only')).includes(
            doomed.client_id,
          ),
        );
      }
      const carolOtherBefore = await listedTokenClients(carolSession);

      const res = await deregister(doomed.client_id, aliceAuth);
      assert.equal(res.status, 200, res.text);

      expectError(await clientInfo(doomed.client_id, aliceAuth), 404);
      assert.ok(!(await listedIds(aliceAuth, 'owned_only')).includes(doomed.client_id));
      const rows = await tokenRepo().findBy({ clientId: doomed.client_id });
      assert.ok(rows.length >= 7, `expected the client's tokens to stay as revoked rows`);
      assert.ok(rows.every((r) => r.revokedAt instanceof Date));
      for (const session of [aliceSession, bobSession, carolSession]) {
        assert.ok(!(await listedTokenClients(session)).includes(doomed.client_id));
        assert.ok(!(await listedTokenClients(session, 'refresh_token')).includes(doomed.client_id));
        assert.ok(
          !(await listedIds(bearer(session.access_token), 'authorized_only')).includes(
            doomed.client_id,
          ),
        );
      }
      // Other clients' tokens are untouched.
      assert.deepEqual(
        await listedTokenClients(carolSession),
        carolOtherBefore.filter((id) => id !== doomed.client_id),
      );
      assert.ok((await listedTokenClients(carolSession)).includes(operatorClient.client_id));

      // Its unredeemed codes are gone, and cannot be exchanged: the client itself is gone.
      assert.equal(await codes(), 0);
      const exchange = await t.http().post('/oauth2/token').type('form').send({
        grant_type: 'authorization_code',
        code: pendingCode,
        client_id: doomed.client_id,
        client_secret: doomed.client_secret,
      });
      expectError(exchange, 401, 'invalid_client');

      // Its secret no longer works, and neither does its refresh token.
      expectError(
        await clientCredentials(doomed.client_id, doomed.client_secret ?? ''),
        401,
        'invalid_client',
      );
      const refresh = await t
        .http()
        .post('/oauth2/token')
        .set('Authorization', clientBasic(doomed))
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: aliceIssued.refresh_token ?? '' });
      expectError(refresh, 401, 'invalid_client');

      // Its tokens are dead to a resource server too.
      const introspected = await t
        .http()
        .post('/oauth2/introspect')
        .set('Authorization', clientBasic(resourceServer))
        .type('form')
        .send({ token: aliceIssued.access_token });
      assert.equal(introspected.status, 200, introspected.text);
      assert.deepEqual(introspected.body, { active: false });

      // A second deregistration finds nothing.
      expectError(await deregister(doomed.client_id, aliceAuth), 404);
    });

    it('refuses a user who is not the registrant with 403 access_denied and changes nothing', async () => {
      const kept = await registerClient(aliceAuth, {
        name: unique('Kept'),
        type: 'CONFIDENTIAL',
        description: 'Stays.',
        redirect_uri: 'https://kept.example/cb',
      });
      await authorizeAndExchange(t, { session: bobSession, client: kept });
      const rowsBefore = await tokenRepo().findBy({ clientId: kept.client_id });
      assert.equal(rowsBefore.length, 2);

      expectError(await deregister(kept.client_id, bobAuth), 403, 'access_denied');
      expectError(await deregister(kept.client_id, bob.basic), 403, 'access_denied');

      assert.equal((await clientInfo(kept.client_id, aliceAuth)).status, 200);
      const rowsAfter = await tokenRepo().findBy({ clientId: kept.client_id });
      assert.equal(rowsAfter.length, 2);
      assert.ok(rowsAfter.every((r) => r.revokedAt === null));
      assert.ok((await listedTokenClients(bobSession)).includes(kept.client_id));
      assert.ok((await listedIds(bobAuth, 'authorized_only')).includes(kept.client_id));
      assert.ok((await listedIds(aliceAuth, 'owned_only')).includes(kept.client_id));
      assert.equal((await clientCredentials(kept.client_id, kept.client_secret ?? '')).status, 200);
      // Clean up: the registrant may.
      assert.equal((await deregister(kept.client_id, aliceAuth)).status, 200);
    });

    it('refuses an operator client (no registrant) with 403', async () => {
      expectError(await deregister(operatorClient.client_id, aliceAuth), 403, 'access_denied');
      assert.equal((await clientInfo(operatorClient.client_id, aliceAuth)).status, 200);
    });

    it('answers an unknown client with 404', async () => {
      expectError(await deregister(`no-such-${randomBytes(4).toString('hex')}`, aliceAuth), 404);
    });

    it('refuses a missing or wrong user authentication with 401 invalid_token', async () => {
      expectInvalidToken(await deregister(beta.client_id, undefined));
      expectInvalidToken(
        await deregister(beta.client_id, bearer(`tva_${randomBytes(32).toString('base64url')}`)),
      );
      assert.equal((await clientInfo(beta.client_id, bobAuth)).status, 200);
    });

    it('deregisters a public client, with Basic user authentication, under /api/v1.0/', async () => {
      const script = await registerClient(aliceAuth, {
        name: unique('Public Doomed'),
        type: 'PUBLIC',
        description: 'A public client.',
        redirect_uri: 'http://127.0.0.1:9998/cb',
      });
      await authorizeAndExchange(t, { session: bobSession, client: script });
      const res = await deregister(script.client_id, alice.basic, '/api/v1.0');
      assert.equal(res.status, 200, res.text);
      expectError(await clientInfo(script.client_id, aliceAuth), 404);
      const rows = await tokenRepo().findBy({ clientId: script.client_id });
      assert.equal(rows.length, 1);
      assert.ok(rows.every((r) => r.revokedAt instanceof Date));
      assert.ok(!(await listedTokenClients(bobSession)).includes(script.client_id));
    });
  });

  describe('POST /oauth2/client/reset', () => {
    it('gives the registrant a new secret; the new one works and the old one fails at once', async () => {
      const client = await registerClient(aliceAuth, {
        name: unique('Resettable'),
        type: 'CONFIDENTIAL',
        description: 'Gets a new secret.',
        redirect_uri: 'https://reset.example/cb',
      });
      const oldSecret = client.client_secret ?? '';
      assert.equal((await clientCredentials(client.client_id, oldSecret)).status, 200);

      const res = await reset(aliceAuth, { client_id: client.client_id });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers.pragma, 'no-cache');
      assert.deepEqual(Object.keys(res.body as object).sort(), ['client_id', 'client_secret']);
      const body = res.body as { client_id: string; client_secret: string };
      assert.equal(body.client_id, client.client_id);
      assert.match(body.client_secret, /^tvs_[A-Za-z0-9_-]{43,}$/);
      assert.notEqual(body.client_secret, oldSecret);

      const fresh = await clientCredentials(client.client_id, body.client_secret);
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal((fresh.body as TokenResponse).scope, 'search');

      expectError(await clientCredentials(client.client_id, oldSecret), 401, 'invalid_client');
      const viaBasic = await t
        .http()
        .post('/oauth2/token')
        .set('Authorization', basicAuth(client.client_id, oldSecret))
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'search' });
      expectError(viaBasic, 401, 'invalid_client');
      assert.equal(viaBasic.headers['www-authenticate'], 'Basic realm="tokenvakt"');

      // A second reset, with Basic user authentication, retires the first new secret.
      const again = await reset(alice.basic, { client_id: client.client_id });
      assert.equal(again.status, 200, again.text);
      const third = (again.body as { client_secret: string }).client_secret;
      expectError(
        await clientCredentials(client.client_id, body.client_secret),
        401,
        'invalid_client',
      );
      assert.equal((await clientCredentials(client.client_id, third)).status, 200);
    });

    it('refuses a public client with 400 invalid_request', async () => {
      expectError(await reset(aliceAuth, { client_id: mu.client_id }), 400, 'invalid_request');
    });

    it('refuses a user who is not the registrant with 403, and the secret keeps working', async () => {
      expectError(await reset(bobAuth, { client_id: alpha.client_id }), 403, 'access_denied');
      expectError(
        await reset(aliceAuth, { client_id: operatorClient.client_id }),
        403,
        'access_denied',
      );
      assert.equal(
        (await clientCredentials(alpha.client_id, alpha.client_secret ?? '')).status,
        200,
      );
    });

    it('answers an unknown client with 404', async () => {
      expectError(
        await reset(aliceAuth, { client_id: `no-such-${randomBytes(4).toString('hex')}` }),
        404,
      );
    });

    it('refuses a missing client_id with 400 invalid_request', async () => {
      expectError(await reset(aliceAuth, {}), 400, 'invalid_request');
    });

    it('refuses a JSON body with 415', async () => {
      const res = await t
        .http()
        .post('/oauth2/client/reset')
        .set('Authorization', aliceAuth)
        .type('json')
        .send({ client_id: zeta.client_id });
      expectError(res, 415);
      assert.equal((await clientCredentials(zeta.client_id, zeta.client_secret ?? '')).status, 200);
    });

    it('refuses a missing user authentication with 401 invalid_token', async () => {
      expectInvalidToken(await reset(undefined, { client_id: zeta.client_id }));
    });
  });
});
