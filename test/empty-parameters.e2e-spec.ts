import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestSecret } from '../src/auth/secrets';
import { AuthorizationCode } from '../src/authorization/authorization-code.entity';
import { Token } from '../src/tokens/token.entity';
import {
  authorizeAndExchange,
  authorizeCode,
  clientBasic,
  createClient,
  createSuperClient,
  createUser,
  login,
  pkcePair,
  postForm,
  type Form,
  type TestClient,
  type TestUser,
  type TokenResponse,
} from './support/factories';
import { bearer, startTestApp, type TestApp } from './support/test-app';
import { expectOAuthError as expectError } from './support/assertions';

/**
 * RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted from
 * the request." tokenvakt applies it to every form and query it reads (README: Choices where
 * the spec is silent): each case here sends a field empty and expects exactly the answer of
 * the same request without it.
 */
describe('a parameter sent without a value is an omitted parameter (RFC 6749 §3.1)', () => {
  let t: TestApp;
  let superClient: TestClient;
  let confidential: TestClient;
  let publicClient: TestClient;
  let resourceServer: TestClient;
  let alice: TestUser;
  let session: TokenResponse;

  before(async () => {
    t = await startTestApp({ REFRESH_TOKEN_REUSE_GRACE: '0' });
    superClient = await createSuperClient(t);
    confidential = await createClient(t);
    publicClient = await createClient(t, { type: 'PUBLIC' });
    resourceServer = await createClient(t, { redirectUri: undefined, mayIntrospect: true });
    alice = await createUser(t);
    session = await login(t, superClient, alice);
  });
  after(() => t.close());

  const post = (path: string, form: Form, authorization?: string) =>
    postForm(t, path, authorization, form);
  const superForm = (): Form => ({
    super_client_id: superClient.client_id,
    super_client_secret: superClient.client_secret,
  });
  /** The entries of a token list, without expires_in, which counts down between two calls. */
  const handles = (body: unknown) =>
    (body as Array<{ token: string; token_type: string }>).map(({ token, token_type }) => ({
      token,
      token_type,
    }));
  const codeRow = (code: string) =>
    t.dataSource.getRepository(AuthorizationCode).findOneByOrFail({ digest: digestSecret(code) });

  describe('POST /oauth2/token', () => {
    it('client_secret= from a public client: the public client with its client_id alone', async () => {
      const { verifier, challenge } = pkcePair();
      const res = await t
        .http()
        .get('/oauth2/authorize')
        .set('Authorization', bearer(session.access_token))
        .query({
          response_type: 'code',
          client_id: publicClient.client_id,
          scope: 'search',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        });
      const code = new URL(res.headers.location as string).searchParams.get('code') ?? '';
      const issued = await post('/oauth2/token', {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: publicClient.client_id,
        client_secret: '',
      });
      assert.equal(issued.status, 200, issued.text);
      assert.equal((issued.body as TokenResponse).refresh_token, undefined);
    });

    it('client_secret= never authenticates a confidential client: 401 as with no secret', async () => {
      const form = { grant_type: 'client_credentials', scope: 'search' };
      const withEmpty = await post('/oauth2/token', {
        ...form,
        client_id: confidential.client_id,
        client_secret: '',
      });
      const without = await post('/oauth2/token', { ...form, client_id: confidential.client_id });
      expectError(withEmpty, 401, 'invalid_client');
      assert.equal(withEmpty.headers['www-authenticate'], 'Basic realm="tokenvakt"');
      assert.deepEqual(withEmpty.body, without.body);
      // Nor a super client's password grant.
      expectError(
        await post('/oauth2/token', {
          grant_type: 'password',
          username: alice.username,
          password: alice.password,
          client_id: superClient.client_id,
          client_secret: '',
        }),
        401,
        'invalid_client',
      );
    });

    it('client_secret= beside Basic is not a second authentication method', async () => {
      const res = await post(
        '/oauth2/token',
        { grant_type: 'client_credentials', scope: 'search', client_secret: '' },
        clientBasic(confidential),
      );
      assert.equal(res.status, 200, res.text);
    });

    it('client_id= and client_secret= are no client authentication at all: 401', async () => {
      const res = await post('/oauth2/token', {
        grant_type: 'client_credentials',
        scope: 'search',
        client_id: '',
        client_secret: '',
      });
      expectError(res, 401, 'invalid_client');
      assert.equal(res.headers['www-authenticate'], 'Basic realm="tokenvakt"');
    });

    it('redirect_uri= at the token endpoint: omitted, so a code issued without one redeems', async () => {
      const code = await authorizeCode(t, { session, client: confidential });
      const res = await post('/oauth2/token', {
        grant_type: 'authorization_code',
        code,
        redirect_uri: '',
        client_id: confidential.client_id,
        client_secret: confidential.client_secret,
      });
      assert.equal(res.status, 200, res.text);
    });

    it('code_verifier= for a code issued without a challenge: omitted, not a downgrade', async () => {
      const code = await authorizeCode(t, { session, client: confidential });
      const res = await post(
        '/oauth2/token',
        { grant_type: 'authorization_code', code, code_verifier: '' },
        clientBasic(confidential),
      );
      assert.equal(res.status, 200, res.text);
    });

    it('code_verifier= for a code issued with a challenge: a missing verifier, the code is spent', async () => {
      const { verifier, challenge } = pkcePair();
      const res = await t
        .http()
        .get('/oauth2/authorize')
        .set('Authorization', bearer(session.access_token))
        .query({
          response_type: 'code',
          client_id: confidential.client_id,
          scope: 'search',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        });
      const code = new URL(res.headers.location as string).searchParams.get('code') ?? '';
      const redeem = (codeVerifier: string) =>
        post(
          '/oauth2/token',
          { grant_type: 'authorization_code', code, code_verifier: codeVerifier },
          clientBasic(confidential),
        );
      expectError(await redeem(''), 400, 'invalid_grant');
      expectError(await redeem(verifier), 400, 'invalid_grant');
      assert.notEqual((await codeRow(code)).redeemedAt, null);
    });

    it('scope= when refreshing: the whole original scope (RFC 6749 §6)', async () => {
      const issued = await authorizeAndExchange(t, { session, client: confidential });
      const res = await post(
        '/oauth2/token',
        { grant_type: 'refresh_token', refresh_token: issued.refresh_token, scope: '' },
        clientBasic(confidential),
      );
      assert.equal(res.status, 200, res.text);
      assert.equal((res.body as TokenResponse).scope, 'match_info search');
    });

    it('scope= in the password grant: the default, "all"', async () => {
      const res = await post(
        '/oauth2/token',
        { grant_type: 'password', username: alice.username, password: alice.password, scope: '' },
        clientBasic(superClient),
      );
      assert.equal(res.status, 200, res.text);
      assert.equal((res.body as TokenResponse).scope, 'all');
    });

    it('scope= for client_credentials: no scope, 400 invalid_scope', async () => {
      expectError(
        await post(
          '/oauth2/token',
          { grant_type: 'client_credentials', scope: '' },
          clientBasic(confidential),
        ),
        400,
        'invalid_scope',
      );
    });

    it('password= is a missing password: 400 invalid_request, and no password is checked', async () => {
      const res = await post(
        '/oauth2/token',
        { grant_type: 'password', username: alice.username, password: '' },
        clientBasic(superClient),
      );
      expectError(res, 400, 'invalid_request');
      assert.match(res.body.error_description as string, /username and password are required/);
    });

    it('grant_type=, code= and refresh_token= are missing parameters: 400 invalid_request', async () => {
      for (const form of [
        { grant_type: '' },
        { grant_type: 'authorization_code', code: '' },
        { grant_type: 'refresh_token', refresh_token: '' },
        { grant_type: 'password', username: '', password: 'x' },
      ]) {
        expectError(
          await post('/oauth2/token', form, clientBasic(confidential)),
          400,
          'invalid_request',
        );
      }
    });
  });

  describe('POST /oauth2/revoke and /oauth2/introspect', () => {
    it('client_secret= from a public client revokes its own token by client_id alone', async () => {
      const issued = await authorizeAndExchange(t, { session, client: publicClient });
      const res = await post('/oauth2/revoke', {
        token: issued.access_token,
        token_type_hint: '',
        client_id: publicClient.client_id,
        client_secret: '',
      });
      assert.equal(res.status, 200, res.text);
      const row = await t.dataSource
        .getRepository(Token)
        .findOneByOrFail({ digest: digestSecret(issued.access_token) });
      assert.notEqual(row.revokedAt, null);
    });

    it('token= is a missing token: 400 invalid_request', async () => {
      expectError(
        await post('/oauth2/revoke', { token: '' }, clientBasic(confidential)),
        400,
        'invalid_request',
      );
      expectError(
        await post('/oauth2/introspect', { token: '' }, clientBasic(resourceServer)),
        400,
        'invalid_request',
      );
    });

    it('client_secret= never authenticates a resource server', async () => {
      const res = await post('/oauth2/introspect', {
        token: session.access_token,
        client_id: resourceServer.client_id,
        client_secret: '',
      });
      expectError(res, 401, 'invalid_client');
      assert.equal(res.headers['www-authenticate'], 'Basic realm="tokenvakt"');
    });
  });

  describe('super-client services', () => {
    it('super_client_secret= is a missing secret: 400, never an authenticated super client', async () => {
      const form = { ...superForm(), super_client_secret: '' };
      for (const path of ['/oauth2/token/list', '/oauth2/revoke/super', '/oauth2/client/list']) {
        expectError(
          await post(path, { ...form, token_type: 'access_token', token: 'x' }, alice.basic),
          400,
          'invalid_request',
        );
      }
      expectError(
        await post(`/oauth2/client/${confidential.client_id}`, form),
        400,
        'invalid_request',
      );
    });

    it('token list: start=, max_results=, counts_only= and client_id= take their defaults', async () => {
      const plain = await post(
        '/oauth2/token/list',
        {
          ...superForm(),
          token_type: 'access_token',
        },
        alice.basic,
      );
      const empty = await post(
        '/oauth2/token/list',
        {
          ...superForm(),
          token_type: 'access_token',
          start: '',
          max_results: '',
          counts_only: '',
          client_id: '',
        },
        alice.basic,
      );
      assert.equal(plain.status, 200, plain.text);
      assert.equal(empty.status, 200, empty.text);
      assert.deepEqual(handles(empty.body), handles(plain.body));
      assert.equal(empty.headers['x-total-count'], plain.headers['x-total-count']);
    });

    it('token list: token_type= is a missing token_type, 400 invalid_request', async () => {
      expectError(
        await post('/oauth2/token/list', { ...superForm(), token_type: '' }, alice.basic),
        400,
        'invalid_request',
      );
    });

    it('revoke/super/all: client_id= is a missing client_id, 400 invalid_request', async () => {
      expectError(
        await post('/oauth2/revoke/super/all', { ...superForm(), client_id: '' }, alice.basic),
        400,
        'invalid_request',
      );
    });

    it('client list: filter_by= is a missing filter_by, 400 invalid_request', async () => {
      expectError(
        await post('/oauth2/client/list', { ...superForm(), filter_by: '' }, alice.basic),
        400,
        'invalid_request',
      );
    });

    it('client reset: client_id= is a missing client_id, 400 invalid_request', async () => {
      expectError(
        await post('/oauth2/client/reset', { client_id: '' }, alice.basic),
        400,
        'invalid_request',
      );
    });
  });

  describe('GET /oauth2/authorize (the query goes through the same reader)', () => {
    const authorize = (query: Record<string, string>) =>
      t
        .http()
        .get('/oauth2/authorize')
        .set('Authorization', bearer(session.access_token))
        .query(query);

    it('state= and redirect_uri= are omitted: the registered URI, no state in the redirect', async () => {
      const res = await authorize({
        response_type: 'code',
        client_id: confidential.client_id,
        scope: 'search',
        state: '',
        redirect_uri: '',
        code_challenge: '',
        code_challenge_method: '',
      });
      assert.equal(res.status, 302, res.text);
      const location = new URL(res.headers.location as string);
      assert.equal(`${location.origin}${location.pathname}`, confidential.redirect_uri);
      assert.equal(location.searchParams.has('state'), false);
      const code = location.searchParams.get('code') ?? '';
      // The code is not bound to a redirect_uri the request named: none was named.
      assert.equal((await codeRow(code)).redirectUriSent, false);
    });

    it('client_id= is a missing client_id: 400 invalid_request', async () => {
      expectError(
        await authorize({ response_type: 'code', client_id: '', scope: 'search' }),
        400,
        'invalid_request',
      );
    });
  });

  describe('GET /admin/users/{username}/tokens', () => {
    it('token_type= lists both types, as without it', async () => {
      const admin = await createClient(t, { redirectUri: undefined, isAdmin: true });
      const list = (query: Record<string, string>) =>
        t
          .http()
          .get(`/admin/users/${alice.username}/tokens`)
          .set('Authorization', clientBasic(admin))
          .query(query);
      const plain = await list({});
      const empty = await list({ token_type: '', start: '', max_results: '' });
      assert.equal(empty.status, 200, empty.text);
      assert.deepEqual(handles(empty.body), handles(plain.body));
      assert.deepEqual(
        new Set(handles(plain.body).map((h) => h.token_type)),
        new Set(['access_token', 'refresh_token']),
      );
    });
  });
});
