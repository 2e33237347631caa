import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestSecret } from '../src/auth/secrets';
import { Client } from '../src/clients/client.entity';
import { Token } from '../src/tokens/token.entity';
import {
  authorizeAndExchange,
  createClient,
  createSuperClient,
  createUser,
  listTokens,
  login,
  type TestClient,
  type TestUser,
  type TokenResponse,
} from './support/factories';
import { basicAuth, bearer, startTestApp, type TestApp } from './support/test-app';
import { expectOAuthError as assertError } from './support/assertions';

interface Registered {
  client_id: string;
  client_secret?: string;
}

describe('POST /oauth2/client/register', () => {
  let t: TestApp;
  let superClient: TestClient;
  let user: TestUser;
  let session: TokenResponse;

  before(async () => {
    t = await startTestApp();
    superClient = await createSuperClient(t);
    user = await createUser(t);
    session = await login(t, superClient, user);
  });
  after(() => t.close());

  const register = (body: object, authorization: string | null = bearer(session.access_token)) => {
    const req = t.http().post('/oauth2/client/register');
    if (authorization !== null) req.set('Authorization', authorization);
    return req.send(body);
  };

  const valid = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name: 'EasyPDF Exporter',
    type: 'CONFIDENTIAL',
    description: 'Exports query results as PDF.',
    url: 'https://easypdf.example/',
    redirect_uri: 'https://easypdf.example/callback',
    ...extra,
  });

  const clientRow = (id: string) => t.dataSource.getRepository(Client).findOneByOrFail({ id });

  it('registers a confidential client: client_id and a tvs_ secret, shown once, not cacheable', async () => {
    const res = await register(valid());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers.pragma, 'no-cache');
    const body = res.body as Registered;
    assert.deepEqual(Object.keys(body).sort(), ['client_id', 'client_secret']);
    assert.ok(body.client_id.length > 0);
    assert.match(body.client_secret ?? '', /^tvs_[A-Za-z0-9_-]{43,}$/);

    const row = await clientRow(body.client_id);
    assert.equal(row.name, 'EasyPDF Exporter');
    assert.equal(row.type, 'CONFIDENTIAL');
    assert.equal(row.description, 'Exports query results as PDF.');
    assert.equal(row.url, 'https://easypdf.example/');
    assert.equal(row.redirectUri, 'https://easypdf.example/callback');
    assert.equal(row.registeredBy, user.username);
    assert.equal(row.isSuper, false);
    assert.equal(row.isAdmin, false);
    // Only the digest of the secret is stored.
    assert.notEqual(row.secretDigest, body.client_secret);
    assert.equal(row.secretDigest, digestSecret(body.client_secret ?? ''));
  });

  it('registers a public client: client_id only', async () => {
    const res = await register(valid({ type: 'PUBLIC', name: 'Query script' }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const body = res.body as Registered;
    assert.deepEqual(Object.keys(body), ['client_id']);
    const row = await clientRow(body.client_id);
    assert.equal(row.type, 'PUBLIC');
    assert.equal(row.secretDigest, null);
    assert.equal(row.registeredBy, user.username);
  });

  it('accepts Basic user authentication and records that user as the registrant', async () => {
    const other = await createUser(t);
    const res = await register(valid({ name: 'Basic registered' }), other.basic);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(
      (await clientRow((res.body as Registered).client_id)).registeredBy,
      other.username,
    );
  });

  it('accepts a minimal body (url, redirect_uri and refresh_token_expiry are optional)', async () => {
    const res = await register({
      name: 'Minimal',
      type: 'CONFIDENTIAL',
      description: 'Nothing else.',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const row = await clientRow((res.body as Registered).client_id);
    assert.equal(row.url, null);
    assert.equal(row.redirectUri, null);
    assert.equal(row.refreshTokenExpiry, null);
  });

  it('does not let a user make a super or admin client', async () => {
    const res = await register(
      valid({ name: 'Sneaky', isSuper: true, isAdmin: true, super: true, admin: true }),
    );
    if (res.status === 200) {
      const row = await clientRow((res.body as Registered).client_id);
      assert.equal(row.isSuper, false);
      assert.equal(row.isAdmin, false);
    } else {
      assertError(res, 400, 'invalid_request');
    }
  });

  it('gives the new confidential client a secret that works at /oauth2/token', async () => {
    const registered = (await register(valid({ name: 'Stats backend' }))).body as Registered;
    const res = await t
      .http()
      .post('/oauth2/token')
      .set('Authorization', basicAuth(registered.client_id, registered.client_secret ?? ''))
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'search' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as TokenResponse).scope, 'search');
    assert.equal((res.body as TokenResponse).refresh_token, undefined);

    const wrong = await t
      .http()
      .post('/oauth2/token')
      .set('Authorization', basicAuth(registered.client_id, 'tvs_wrong'))
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'search' });
    assertError(wrong, 401, 'invalid_client');
  });

  it("gives refresh tokens the client's refresh_token_expiry", async () => {
    const res = await register(valid({ name: 'Hourly', refresh_token_expiry: 3600 }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const registered = res.body as Registered;
    assert.equal((await clientRow(registered.client_id)).refreshTokenExpiry, 3600);

    const client: TestClient = {
      ...registered,
      name: 'Hourly',
      redirect_uri: 'https://easypdf.example/callback',
    };
    const issued = await authorizeAndExchange(t, { session, client });
    assert.match(issued.refresh_token ?? '', /^tvr_/);

    const row = await t.dataSource
      .getRepository(Token)
      .findOneByOrFail({ digest: digestSecret(issued.refresh_token ?? '') });
    const lifetime = (row.expiresAt.getTime() - row.createdAt.getTime()) / 1000;
    assert.ok(Math.abs(lifetime - 3600) <= 1, `refresh lifetime ${lifetime}s`);

    const listed = await listTokens(t, superClient, bearer(session.access_token), {
      token_type: 'refresh_token',
      client_id: registered.client_id,
    });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const entries = listed.body as Array<{ expires_in: number }>;
    assert.equal(entries.length, 1);
    const expiresIn = entries[0]?.expires_in ?? -1;
    assert.ok(expiresIn > 3500 && expiresIn <= 3600, `expires_in ${expiresIn}`);

    // A client without its own expiry gets the default (365 days).
    const other = await createClient(t);
    const otherIssued = await authorizeAndExchange(t, { session, client: other });
    const otherRow = await t.dataSource
      .getRepository(Token)
      .findOneByOrFail({ digest: digestSecret(otherIssued.refresh_token ?? '') });
    assert.ok(otherRow.expiresAt.getTime() - otherRow.createdAt.getTime() > 364 * 86_400_000);
  });

  describe('validation: 400 invalid_request, nothing registered', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['a name of 2 characters', valid({ name: 'ab' })],
      ['a name of 256 characters', valid({ name: 'x'.repeat(256) })],
      ['a name of 256 characters, astral ones among them', valid({ name: '😀'.repeat(256) })],
      ['a name of blanks around 2 characters', valid({ name: '   ab   ' })],
      ['a missing name', valid({ name: undefined })],
      ['a missing description', valid({ description: undefined })],
      ['an empty description', valid({ description: '' })],
      ['a type that is not PUBLIC or CONFIDENTIAL', valid({ type: 'SUPER' })],
      ['a missing type', valid({ type: undefined })],
      ['a relative redirect_uri', valid({ redirect_uri: '/callback' })],
      [
        'a redirect_uri with a fragment',
        valid({ redirect_uri: 'https://easypdf.example/callback#frag' }),
      ],
      [
        'a redirect_uri with the ftp: scheme',
        valid({ redirect_uri: 'ftp://easypdf.example/callback' }),
      ],
      ['a javascript: url', valid({ url: 'javascript:alert(1)' })],
      ['refresh_token_expiry 31536001', valid({ refresh_token_expiry: 31_536_001 })],
      ['a negative refresh_token_expiry', valid({ refresh_token_expiry: -1 })],
      [
        'refresh_token_expiry for a public client',
        valid({ type: 'PUBLIC', refresh_token_expiry: 3600 }),
      ],
      ['refresh_token_expiry as a string', valid({ refresh_token_expiry: '3600' })],
      ['refresh_token_expiry that is not whole', valid({ refresh_token_expiry: 3600.5 })],
      [
        'a field nested 3000 levels deep (more than the 64 a body may have)',
        valid({ notes: JSON.parse('['.repeat(3000) + ']'.repeat(3000)) as unknown }),
      ],
      [
        'a key named prototype, which validation would drop silently',
        valid({ x: { prototype: 1 } }),
      ],
    ];
    for (const [name, body] of cases) {
      it(name, async () => {
        const before = await t.dataSource.getRepository(Client).count();
        assertError(await register(body), 400, 'invalid_request');
        assert.equal(await t.dataSource.getRepository(Client).count(), before);
      });
    }

    for (const field of ['url', 'redirect_uri', 'refresh_token_expiry', 'source']) {
      it(`treats ${field}: null as absent (Kalamar sends null for a field left empty)`, async () => {
        const res = await register(valid({ name: `Null ${field}`, [field]: null }));
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const row = await clientRow((res.body as Registered).client_id);
        const column = {
          url: row.url,
          redirect_uri: row.redirectUri,
          refresh_token_expiry: row.refreshTokenExpiry,
          source: row.source,
        }[field];
        assert.equal(column, null);
      });
    }

    it('takes refresh_token_expiry 0 for the default, for either type, as Kustvakt and its Java client do', async () => {
      for (const type of ['CONFIDENTIAL', 'PUBLIC']) {
        const res = await register(valid({ name: `Zero ${type}`, type, refresh_token_expiry: 0 }));
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(
          (await clientRow((res.body as Registered).client_id)).refreshTokenExpiry,
          null,
        );
      }
    });

    it("says what is wrong with a missing name or description, and Kustvakt's words for a too long expiry", async () => {
      for (const [body, description] of [
        [valid({ name: undefined }), 'name is required: 3 to 255 characters.'],
        [valid({ description: undefined }), 'description is required: 1 to 1000 characters.'],
        [valid({ description: '' }), 'description is required: 1 to 1000 characters.'],
        [
          valid({ refresh_token_expiry: 31_536_001 }),
          'Maximum refresh token expiry is 31536000 seconds (1 year)',
        ],
        [
          valid({ refresh_token_expiry: -1 }),
          'refresh_token_expiry must be 0 (the default) to 31536000 seconds.',
        ],
      ] as const) {
        const res = await register(body);
        assertError(res, 400, 'invalid_request');
        assert.equal((res.body as { error_description: string }).error_description, description);
      }
    });

    it('accepts the bounds: a name of 3 and of 255 characters (also astral ones), refresh_token_expiry 31536000', async () => {
      for (const body of [
        valid({ name: 'abc' }),
        valid({ name: 'y'.repeat(255) }),
        valid({ name: '😀'.repeat(255) }),
        valid({ name: 'Yearly', refresh_token_expiry: 31_536_000 }),
      ]) {
        const res = await register(body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const name = body.name as string;
        assert.equal((await clientRow((res.body as Registered).client_id)).name, name);
      }
    });
  });

  describe('authentication and body type', () => {
    it('401 invalid_token without user authentication', async () => {
      const res = await register(valid(), null);
      assertError(res, 401, 'invalid_token');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="tokenvakt"');
    });

    it('401 invalid_token for a wrong password', async () => {
      assertError(await register(valid(), basicAuth(user.username, 'wrong')), 401, 'invalid_token');
    });

    it('403 insufficient_scope for a token held by a third-party client', async () => {
      const thirdParty = await createClient(t);
      const issued = await authorizeAndExchange(t, { session, client: thirdParty });
      assertError(await register(valid(), bearer(issued.access_token)), 403, 'insufficient_scope');
    });

    it('415 for a form body', async () => {
      const before = await t.dataSource.getRepository(Client).count();
      const res = await t
        .http()
        .post('/oauth2/client/register')
        .set('Authorization', bearer(session.access_token))
        .type('form')
        .send({ name: 'Form client', type: 'CONFIDENTIAL', description: 'Sent as a form.' });
      assertError(res, 415, null);
      assert.equal(await t.dataSource.getRepository(Client).count(), before);
    });

    it('is served under /api/v1.0/ and /api/v1.1/', async () => {
      for (const prefix of ['/api/v1.0', '/api/v1.1']) {
        const res = await t
          .http()
          .post(`${prefix}/oauth2/client/register`)
          .set('Authorization', user.basic)
          .send(valid({ name: `Kalamar plugin ${prefix}` }));
        assert.equal(res.status, 200, `${prefix}: ${JSON.stringify(res.body)}`);
        assert.match((res.body as Registered).client_secret ?? '', /^tvs_/);
      }
    });
  });
});
