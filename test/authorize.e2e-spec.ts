import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { digestSecret } from '../src/auth/secrets';
import { AuthorizationCode } from '../src/authorization/authorization-code.entity';
import {
  createClient,
  createSuperClient,
  createUser,
  login,
  pkcePair,
  type TestClient,
  type TestUser,
  type TokenResponse,
} from './support/factories';
import { expectDirectAuthorizeError, expectOAuthError } from './support/assertions';
import { bearer, startTestApp, type TestApp } from './support/test-app';

/** A state with characters that must survive URL encoding unchanged. */
const STATE = 'st/a te&x=1ä';

/**
 * A direct error: status, exact body shape, and no redirect. `state` is the request's, echoed
 * by the client and redirect URI errors (RFC 6749 §4.1.2.1); user authentication errors come
 * before the request is read and carry none (`null`).
 */
function assertDirectError(
  res: Response,
  status: number,
  error: string,
  state: string | null = STATE,
): void {
  expectDirectAuthorizeError(res, status, error, state ?? undefined);
}

/**
 * A 302 to `registered` (same origin and path), or a 303 for Kustvakt's POST form; returns
 * the query of the redirect.
 */
function redirectedTo(res: Response, registered: string): URLSearchParams {
  const method = (res as unknown as { req: { method: string } }).req.method;
  assert.equal(res.status, method === 'POST' ? 303 : 302, JSON.stringify(res.body));
  const location = new URL(res.headers.location as string);
  const expected = new URL(registered);
  assert.equal(`${location.origin}${location.pathname}`, `${expected.origin}${expected.pathname}`);
  return location.searchParams;
}

/** A redirected error (RFC 6749 §4.1.2.1): error, error_description and state, and no code. */
function assertRedirectedError(res: Response, registered: string, error: string): void {
  const params = redirectedTo(res, registered);
  assert.equal(params.get('error'), error);
  assert.ok((params.get('error_description') ?? '').length > 0);
  assert.equal(params.get('state'), STATE);
  assert.equal(params.get('code'), null);
}

/**
 * The two forms of an authorization request, held to the same rules: tokenvakt's GET, and
 * Kustvakt's POST with a form body on /api/v1.0/ (Kalamar up to 0.64), answered with 303.
 */
const FORMS = [
  {
    name: 'GET /oauth2/authorize',
    send: (t: TestApp, params: Record<string, string>) =>
      t.http().get('/oauth2/authorize').query(params),
  },
  {
    name: 'POST /api/v1.0/oauth2/authorize (form body)',
    send: (t: TestApp, params: Record<string, string>) =>
      t.http().post('/api/v1.0/oauth2/authorize').type('form').send(params),
  },
] as const;

/** The suite once per form of the request. */
function forEachForm(suite: (form: (typeof FORMS)[number]) => void): void {
  for (const form of FORMS) describe(form.name, () => suite(form));
}

forEachForm((form) => {
  let t: TestApp;
  let superClient: TestClient;
  let user: TestUser;
  let session: TokenResponse;
  let confidential: TestClient;
  let publicClient: TestClient;
  let noRedirect: TestClient;

  before(async () => {
    t = await startTestApp();
    superClient = await createSuperClient(t);
    user = await createUser(t);
    session = await login(t, superClient, user);
    confidential = await createClient(t);
    publicClient = await createClient(t, { type: 'PUBLIC' });
    noRedirect = await createClient(t, { redirectUri: undefined });
  });
  after(() => t.close());

  const redirectUri = (client: TestClient): string =>
    client.redirect_uri ?? assert.fail('client has no redirect URI');

  const query = (
    client: TestClient,
    extra: Record<string, string> = {},
  ): Record<string, string> => ({
    response_type: 'code',
    client_id: client.client_id,
    scope: 'search match_info',
    state: STATE,
    ...extra,
  });

  const authorize = (
    params: Record<string, string>,
    authorization: string | null = bearer(session.access_token),
  ) => {
    const req = form.send(t, params);
    return authorization === null ? req : req.set('Authorization', authorization);
  };

  const codeRow = (code: string) =>
    t.dataSource.getRepository(AuthorizationCode).findOneBy({ digest: digestSecret(code) });

  describe('success', () => {
    it('redirects to the registered URI with a code and the state, not cacheable', async () => {
      const before = Date.now();
      const res = await authorize(query(confidential));
      const params = redirectedTo(res, redirectUri(confidential));
      assert.equal(res.headers['cache-control'], 'no-store');
      const code = params.get('code');
      assert.ok(code);
      assert.match(code, /^tvc_[A-Za-z0-9_-]{43,}$/);
      assert.equal(params.get('state'), STATE);
      assert.equal(params.get('error'), null);

      // Stored as a digest only, bound to client, user, redirect URI and scope; 10 minutes.
      const row = await codeRow(code);
      assert.ok(row, 'the code is stored under its digest');
      assert.notEqual(row.digest, code);
      assert.equal(row.clientId, confidential.client_id);
      assert.equal(row.userId, user.id);
      assert.equal(row.username, user.username);
      assert.equal(row.redirectUri, confidential.redirect_uri);
      assert.deepEqual(row.scope.split(' ').sort(), ['match_info', 'search']);
      assert.equal(row.codeChallenge, null);
      assert.equal(row.redeemedAt, null);
      const ttl = (row.expiresAt.getTime() - before) / 1000;
      assert.ok(ttl > 595 && ttl <= 601, `code lifetime ${ttl}s`);
    });

    it('accepts a redirect_uri equal to the registered one', async () => {
      const res = await authorize(query(confidential, { redirect_uri: redirectUri(confidential) }));
      const params = redirectedTo(res, redirectUri(confidential));
      assert.match(params.get('code') ?? '', /^tvc_/);
      assert.equal(params.get('state'), STATE);
    });

    it('authenticates the user with Basic credentials as well', async () => {
      const res = await authorize(query(confidential), user.basic);
      const code = redirectedTo(res, redirectUri(confidential)).get('code');
      assert.ok(code);
      assert.equal((await codeRow(code))?.userId, user.id);
    });

    it('keeps the query component of a registered redirect URI (RFC 6749 §3.1.2)', async () => {
      const withQuery = await createClient(t, {
        redirectUri: 'https://tenant.example/cb?tenant=7',
      });
      const res = await authorize(query(withQuery));
      const params = redirectedTo(res, 'https://tenant.example/cb');
      assert.equal(params.get('tenant'), '7');
      assert.match(params.get('code') ?? '', /^tvc_/);
    });

    it('gives a public client a code when it sends an S256 challenge, and stores the challenge', async () => {
      const { challenge } = pkcePair();
      const res = await authorize(
        query(publicClient, { code_challenge: challenge, code_challenge_method: 'S256' }),
      );
      const code = redirectedTo(res, redirectUri(publicClient)).get('code');
      assert.ok(code);
      assert.equal((await codeRow(code))?.codeChallenge, challenge);
    });
  });

  describe('errors answered directly (redirect URI not trusted yet)', () => {
    it('401 invalid_token without user authentication', async () => {
      const res = await authorize(query(confidential), null);
      assertDirectError(res, 401, 'invalid_token', null);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="tokenvakt"');
    });

    it('401 invalid_token for a wrong user password', async () => {
      const res = await authorize(
        query(confidential),
        `Basic ${Buffer.from(`${user.username}:wrong`).toString('base64')}`,
      );
      assertDirectError(res, 401, 'invalid_token', null);
      assert.equal(res.headers['www-authenticate'], 'Basic realm="tokenvakt"');
    });

    it('403 insufficient_scope for a token held by a third-party client', async () => {
      const code =
        redirectedTo(await authorize(query(confidential)), redirectUri(confidential)).get('code') ??
        '';
      const exchanged = await t
        .http()
        .post('/oauth2/token')
        .type('form')
        .send({
          grant_type: 'authorization_code',
          code,
          client_id: confidential.client_id,
          client_secret: confidential.client_secret ?? '',
        });
      assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
      const res = await authorize(
        query(confidential),
        bearer((exchanged.body as TokenResponse).access_token),
      );
      assertDirectError(res, 403, 'insufficient_scope', null);
    });

    it('401 invalid_client for an unknown client, without redirecting', async () => {
      const res = await authorize(query(confidential, { client_id: 'no-such-client' }));
      assertDirectError(res, 401, 'invalid_client');
    });

    for (const [name, mangle] of [
      ['a different path', (uri: string) => uri.replace(/\/callback$/, '/other')],
      ['a trailing slash', (uri: string) => `${uri}/`],
      ['an extra query parameter', (uri: string) => `${uri}?extra=1`],
      ['another scheme', (uri: string) => uri.replace(/^https:/, 'http:')],
    ] as const) {
      it(`400 invalid_request for a redirect_uri with ${name}`, async () => {
        const requested = mangle(redirectUri(confidential));
        assert.notEqual(requested, confidential.redirect_uri);
        const res = await authorize(query(confidential, { redirect_uri: requested }));
        assertDirectError(res, 400, 'invalid_request');
      });
    }

    it('400 invalid_request for a client with no registered redirect URI, with or without redirect_uri', async () => {
      assertDirectError(await authorize(query(noRedirect)), 400, 'invalid_request');
      assertDirectError(
        await authorize(query(noRedirect, { redirect_uri: 'https://attacker.example/cb' })),
        400,
        'invalid_request',
      );
    });
  });

  describe('errors redirected to the client', () => {
    const without = (params: Record<string, string>, key: string): Record<string, string> =>
      Object.fromEntries(Object.entries(params).filter(([k]) => k !== key));

    it('invalid_scope when scope is missing', async () => {
      assertRedirectedError(
        await authorize(without(query(confidential), 'scope')),
        redirectUri(confidential),
        'invalid_scope',
      );
    });

    it('invalid_scope for an unknown scope', async () => {
      const res = await authorize(query(confidential, { scope: 'search no_such_scope' }));
      assertRedirectedError(res, redirectUri(confidential), 'invalid_scope');
    });

    it('invalid_scope for scope "all" on behalf of a non-super client', async () => {
      const res = await authorize(query(confidential, { scope: 'all' }));
      assertRedirectedError(res, redirectUri(confidential), 'invalid_scope');
    });

    it('unsupported_response_type for response_type=token', async () => {
      const res = await authorize(query(confidential, { response_type: 'token' }));
      assertRedirectedError(res, redirectUri(confidential), 'unsupported_response_type');
    });

    it('invalid_request for a public client without code_challenge', async () => {
      assertRedirectedError(
        await authorize(query(publicClient)),
        redirectUri(publicClient),
        'invalid_request',
      );
    });

    it('invalid_request for code_challenge_method=plain', async () => {
      const { verifier } = pkcePair();
      const res = await authorize(
        query(publicClient, { code_challenge: verifier, code_challenge_method: 'plain' }),
      );
      assertRedirectedError(res, redirectUri(publicClient), 'invalid_request');
      const confidentialRes = await authorize(
        query(confidential, { code_challenge: verifier, code_challenge_method: 'plain' }),
      );
      assertRedirectedError(confidentialRes, redirectUri(confidential), 'invalid_request');
    });

    it('stores no code for a redirected error', async () => {
      const repo = t.dataSource.getRepository(AuthorizationCode);
      const count = await repo.countBy({ clientId: confidential.client_id });
      const res = await authorize(query(confidential, { scope: 'all' }));
      assertRedirectedError(res, redirectUri(confidential), 'invalid_scope');
      assert.equal(await repo.countBy({ clientId: confidential.client_id }), count);
    });
  });

  describe('the state in errors answered directly (as Kustvakt)', () => {
    const without = (params: Record<string, string>, key: string): Record<string, string> =>
      Object.fromEntries(Object.entries(params).filter(([k]) => k !== key));

    it('carries the state beside error and error_description when client_id is missing', async () => {
      const res = await authorize(without(query(confidential), 'client_id'));
      assertDirectError(res, 400, 'invalid_request');
    });

    it('leaves state out when the request had none', async () => {
      const res = await authorize(without(query(confidential, { client_id: 'no-such' }), 'state'));
      assertDirectError(res, 401, 'invalid_client', null);
    });

    it('echoes markup and quotes only as a JSON string: application/json, nosniff, not cacheable', async () => {
      const hostile = '"},"error":"x</script><script>alert(1)</script>\u0000\n';
      const res = await authorize(
        query(confidential, { redirect_uri: 'https://attacker.example/cb', state: hostile }),
      );
      assertDirectError(res, 400, 'invalid_request', hostile);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal((JSON.parse(res.text) as { error: string }).error, 'invalid_request');
    });

    it('refuses a state over 1000 characters before anything else, without echoing it', async () => {
      const long = 's'.repeat(1001);
      const res = await authorize(query(confidential, { client_id: 'no-such', state: long }));
      assertDirectError(res, 400, 'invalid_request', null);
      assert.doesNotMatch(res.text, /s{1001}/);
      // 1000 characters are taken, and echoed.
      const at = await authorize(
        query(confidential, { client_id: 'no-such', state: long.slice(1) }),
      );
      assertDirectError(at, 401, 'invalid_client', long.slice(1));
    });
  });
});

describe('GET /oauth2/authorize: the issuer in every response (RFC 9207)', () => {
  const ISSUER = 'https://korap.example/tokenvakt';
  let t: TestApp;
  let session: TokenResponse;
  let client: TestClient;

  before(async () => {
    t = await startTestApp({ ISSUER });
    session = await login(t, await createSuperClient(t), await createUser(t));
    client = await createClient(t, { redirectUri: 'https://tenant.example/cb?tenant=7' });
  });
  after(() => t.close());

  const authorize = (params: Record<string, string>) =>
    t
      .http()
      .get('/oauth2/authorize')
      .set('Authorization', bearer(session.access_token))
      .query({ response_type: 'code', client_id: client.client_id, state: STATE, ...params });

  it('sends iss with the code, next to the state and the registered query', async () => {
    const params = redirectedTo(await authorize({ scope: 'search' }), 'https://tenant.example/cb');
    assert.match(params.get('code') ?? '', /^tvc_/);
    assert.equal(params.get('iss'), ISSUER);
    assert.equal(params.get('state'), STATE);
    assert.equal(params.get('tenant'), '7');
  });

  it('sends iss with a redirected error', async () => {
    const res = await authorize({ scope: 'no_such_scope' });
    assertRedirectedError(res, 'https://tenant.example/cb', 'invalid_scope');
    assert.equal(redirectedTo(res, 'https://tenant.example/cb').get('iss'), ISSUER);
  });
});

describe("POST /api/v1.0/oauth2/authorize: Kustvakt's form (Kalamar up to 0.64)", () => {
  let t: TestApp;
  let session: TokenResponse;
  let client: TestClient;

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX_FAILURES: '2' });
    session = await login(t, await createSuperClient(t), await createUser(t));
    client = await createClient(t);
  });
  after(() => t.close());

  const form = (extra: Record<string, string> = {}): Record<string, string> => ({
    response_type: 'code',
    client_id: client.client_id,
    scope: 'search',
    state: STATE,
    ...extra,
  });
  const post = (path: string, body: Record<string, string> | string = form()) =>
    t.http().post(path).set('Authorization', bearer(session.access_token)).type('form').send(body);
  const codes = () =>
    t.dataSource.getRepository(AuthorizationCode).countBy({ clientId: client.client_id });

  it('answers 303 See Other with the code, not cacheable', async () => {
    const res = await post('/api/v1.0/oauth2/authorize');
    const params = redirectedTo(res, client.redirect_uri ?? '');
    assert.equal(res.status, 303);
    assert.match(params.get('code') ?? '', /^tvc_/);
    assert.equal(params.get('state'), STATE);
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('is served on /api/v1.0/ only: POST on /api/v1.1/ and /oauth2/ is 404, as in Kustvakt', async () => {
    const before = await codes();
    for (const path of ['/api/v1.1/oauth2/authorize', '/oauth2/authorize']) {
      expectOAuthError(await post(path), 404, 'not_found');
    }
    assert.equal(await codes(), before);
  });

  it('takes a form body only: JSON is 415, before the user is authenticated', async () => {
    const res = await t
      .http()
      .post('/api/v1.0/oauth2/authorize')
      .set('Authorization', 'Bearer tva_unknown')
      .send(form());
    expectOAuthError(res, 415, 'unsupported_media_type');
  });

  it('authenticates the user first, as GET does', async () => {
    const res = await t.http().post('/api/v1.0/oauth2/authorize').type('form').send(form());
    expectOAuthError(res, 401, 'invalid_token');
  });

  it('refuses authorization parameters in the query as well: 400 with the body state, nothing issued', async () => {
    const before = await codes();
    for (const query of [
      `client_id=${client.client_id}`,
      'redirect_uri=https%3A%2F%2Fattacker.example%2Fcb',
      'state=other',
    ]) {
      const res = await post(`/api/v1.0/oauth2/authorize?${query}`);
      const body = expectDirectAuthorizeError(res, 400, 'invalid_request', STATE);
      assert.match(body.error_description, /form body only/);
    }
    assert.equal(await codes(), before);
  });

  it('ignores query parameters that are not authorization parameters', async () => {
    const res = await post('/api/v1.0/oauth2/authorize?lang=de');
    assert.match(redirectedTo(res, client.redirect_uri ?? '').get('code') ?? '', /^tvc_/);
  });

  it('refuses a repeated field and an overlong one, as GET does', async () => {
    const repeated = `${new URLSearchParams(form()).toString()}&scope=match_info`;
    expectOAuthError(await post('/api/v1.0/oauth2/authorize', repeated), 400, 'invalid_request');
    expectOAuthError(
      await post(
        '/api/v1.0/oauth2/authorize',
        form({ redirect_uri: `https://x/${'a'.repeat(2000)}` }),
      ),
      400,
      'invalid_request',
    );
  });

  it("does not take the body's client_id for a credential: a client locked out at the token endpoint can still be authorized, as by GET", async () => {
    for (let i = 0; i < 2; i++) {
      const res = await t.http().post('/oauth2/token').type('form').send({
        grant_type: 'client_credentials',
        scope: 'search',
        client_id: client.client_id,
        client_secret: 'wrong',
      });
      expectOAuthError(res, 401, 'invalid_client');
    }
    const locked = await t
      .http()
      .post('/oauth2/token')
      .type('form')
      .send({
        grant_type: 'client_credentials',
        scope: 'search',
        client_id: client.client_id,
        client_secret: client.client_secret ?? '',
      });
    assert.equal(locked.status, 429, locked.text);
    const res = await post('/api/v1.0/oauth2/authorize');
    assert.match(redirectedTo(res, client.redirect_uri ?? '').get('code') ?? '', /^tvc_/);
  });
});
