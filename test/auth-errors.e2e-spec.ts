import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import type { FindOptionsWhere } from 'typeorm';
import { Token } from '../src/tokens/token.entity';
import {
  authorizeAndExchange,
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

interface ListEntry {
  token: string;
  token_type: string;
  client_id: string;
}

/** 401 invalid_token with the challenge of the scheme the caller tried (Bearer when none). */
function expectInvalidToken(res: Response, scheme: 'Bearer' | 'Basic' = 'Bearer'): void {
  expectError(res, 401, 'invalid_token');
  assert.equal(res.headers['www-authenticate'], `${scheme} realm="tokenvakt"`);
}

describe('authentication and error handling of the super-client services', () => {
  let t: TestApp;
  let superClient: TestClient;
  /** A confidential third-party client: a real client, but not super. */
  let pdf: TestClient;
  let stats: TestClient;
  let alice: TestUser;
  let bob: TestUser;
  let aliceSession: TokenResponse;
  let bobSession: TokenResponse;
  let aliceAuth: string;

  before(async () => {
    t = await startTestApp();
    superClient = await createSuperClient(t);
    pdf = await createClient(t, { name: 'EasyPDF Exporter' });
    stats = await createClient(t, { name: 'R statistics' });
    alice = await createUser(t);
    bob = await createUser(t);
    aliceSession = await login(t, superClient, alice);
    bobSession = await login(t, superClient, bob);
    aliceAuth = bearer(aliceSession.access_token);
    await authorizeAndExchange(t, { session: aliceSession, client: pdf });
    await authorizeAndExchange(t, { session: bobSession, client: pdf });
  });
  after(() => t.close());

  const superCredentials = (): Form => ({
    super_client_id: superClient.client_id,
    super_client_secret: superClient.client_secret,
  });

  /** POST /oauth2/token/list with the super credentials and token_type=access_token, overridable. */
  const list = (authorization: string | undefined, form: Form = {}) =>
    postForm(t, '/oauth2/token/list', authorization, {
      ...superCredentials(),
      token_type: 'access_token',
      ...form,
    });

  const revokeSuper = (authorization: string | undefined, form: Form) =>
    postForm(t, '/oauth2/revoke/super', authorization, { ...superCredentials(), ...form });

  const revokeSuperAll = (authorization: string | undefined, form: Form) =>
    postForm(t, '/oauth2/revoke/super/all', authorization, { ...superCredentials(), ...form });

  const listedHandles = async (
    session: TokenResponse,
    form: Record<string, string> = {},
  ): Promise<string[]> => {
    const res = await listTokens(t, superClient, bearer(session.access_token), form);
    assert.equal(res.status, 200, res.text);
    return (res.body as ListEntry[]).map((e) => e.token);
  };

  const tokenRows = (where: FindOptionsWhere<Token>) =>
    t.dataSource.getRepository(Token).findBy(where);

  /** The super client's session access-token row of this user. */
  const sessionRow = (user: TestUser) =>
    t.dataSource.getRepository(Token).findOneByOrFail({
      username: user.username,
      clientId: superClient.client_id,
      type: 'access_token',
    });

  describe('user authentication on POST /oauth2/token/list (README: API at a glance)', () => {
    it("accepts the super client's session and Basic credentials (control case)", async () => {
      assert.equal((await list(aliceAuth)).status, 200);
      assert.equal((await list(alice.basic)).status, 200);
    });

    it('refuses a missing Authorization header with 401 invalid_token', async () => {
      expectInvalidToken(await list(undefined));
    });

    for (const header of ['Bearer', 'Bearer    ', 'Basic', 'Digest x', 'tva_abc', 'Bearer a b']) {
      it(`refuses the malformed header ${JSON.stringify(header)} with 401 invalid_token`, async () => {
        expectInvalidToken(await list(header));
      });
    }

    it('refuses undecodable Basic credentials with 401 invalid_token and a Basic challenge', async () => {
      expectInvalidToken(await list('Basic !!!'), 'Basic');
    });

    it('refuses Basic credentials without a colon with 401 invalid_token', async () => {
      expectInvalidToken(
        await list(`Basic ${Buffer.from(alice.username).toString('base64')}`),
        'Basic',
      );
    });

    it('refuses an unknown bearer token with 401 invalid_token', async () => {
      expectInvalidToken(await list(bearer(`tva_${randomBytes(32).toString('base64url')}`)));
      expectInvalidToken(await list(bearer('not-a-token')));
    });

    it('refuses a token handle presented as a bearer token (handles are never credentials)', async () => {
      const row = await sessionRow(alice);
      expectInvalidToken(await list(bearer(row.handle)));
    });

    it('refuses a refresh token presented as a bearer token', async () => {
      assert.ok(aliceSession.refresh_token);
      expectInvalidToken(await list(bearer(aliceSession.refresh_token)));
    });

    it('refuses a revoked bearer token with 401 invalid_token', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      assert.equal((await list(bearer(session.access_token))).status, 200);
      const row = await sessionRow(user);
      await t.dataSource
        .getRepository(Token)
        .update({ handle: row.handle }, { revokedAt: new Date() });
      expectInvalidToken(await list(bearer(session.access_token)));
    });

    it('refuses an expired bearer token with 401 invalid_token', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      assert.equal((await list(bearer(session.access_token))).status, 200);
      const row = await sessionRow(user);
      await t.dataSource
        .getRepository(Token)
        .update({ handle: row.handle }, { expiresAt: new Date(Date.now() - 1000) });
      expectInvalidToken(await list(bearer(session.access_token)));
    });

    it('refuses Basic with a wrong password with 401 invalid_token', async () => {
      expectInvalidToken(await list(basicAuth(alice.username, `${alice.password}x`)), 'Basic');
      expectInvalidToken(await list(basicAuth(alice.username, '')), 'Basic');
    });

    it('refuses Basic with an unknown user with 401 invalid_token', async () => {
      expectInvalidToken(
        await list(basicAuth(`nobody_${randomBytes(4).toString('hex')}`, alice.password)),
        'Basic',
      );
    });

    it("refuses a third-party client's bearer token with 403 insufficient_scope", async () => {
      const thirdParty = await authorizeAndExchange(t, { session: aliceSession, client: pdf });
      expectError(await list(bearer(thirdParty.access_token)), 403, 'insufficient_scope');
    });

    it('refuses a client-credentials token with 403 insufficient_scope', async () => {
      const issued = await t
        .http()
        .post('/oauth2/token')
        .set('Authorization', clientBasic(stats))
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'search' });
      assert.equal(issued.status, 200, issued.text);
      const token = (issued.body as TokenResponse).access_token;
      expectError(await list(bearer(token)), 403, 'insufficient_scope');
    });
  });

  describe('error rows of the token list', () => {
    it('refuses a missing token_type with 400 invalid_request', async () => {
      expectError(await list(aliceAuth, { token_type: undefined }), 400, 'invalid_request');
    });

    for (const tokenType of ['id_token', 'ACCESS_TOKEN', '']) {
      it(`refuses token_type=${JSON.stringify(tokenType)} with 400 invalid_request`, async () => {
        expectError(await list(aliceAuth, { token_type: tokenType }), 400, 'invalid_request');
      });
    }

    it('refuses a missing super_client_id with 400 invalid_request', async () => {
      expectError(await list(aliceAuth, { super_client_id: undefined }), 400, 'invalid_request');
    });

    it('refuses a missing super_client_secret with 400 invalid_request', async () => {
      expectError(
        await list(aliceAuth, { super_client_secret: undefined }),
        400,
        'invalid_request',
      );
    });

    it('refuses an unknown super client with 401 invalid_client', async () => {
      expectError(
        await list(aliceAuth, {
          super_client_id: `no-such-client-${randomBytes(4).toString('hex')}`,
        }),
        401,
        'invalid_client',
      );
    });

    it('refuses a wrong super-client secret with 401 invalid_client and the unknown-client description', async () => {
      const unknown = expectError(
        await list(aliceAuth, {
          super_client_id: `no-such-client-${randomBytes(4).toString('hex')}`,
        }),
        401,
        'invalid_client',
      );
      const wrongSecret = await list(aliceAuth, {
        super_client_secret: `${superClient.client_secret}x`,
      });
      const body = expectError(wrongSecret, 401, 'invalid_client');
      assert.equal(body.error_description, unknown.error_description);
    });

    it('refuses a real client that is not super with 403 unauthorized_client', async () => {
      const res = await list(aliceAuth, {
        super_client_id: pdf.client_id,
        super_client_secret: pdf.client_secret,
      });
      expectError(res, 403, 'unauthorized_client');
    });

    it('refuses a client_id that names no client with 400 invalid_request', async () => {
      expectError(
        await list(aliceAuth, { client_id: `no-such-client-${randomBytes(4).toString('hex')}` }),
        400,
        'invalid_request',
      );
    });

    for (const start of ['-1', 'abc', '1.5']) {
      it(`refuses start=${JSON.stringify(start)} with 400 invalid_request`, async () => {
        expectError(await list(aliceAuth, { start }), 400, 'invalid_request');
      });
    }

    for (const maxResults of ['0', '201', 'x', '-5']) {
      it(`refuses max_results=${JSON.stringify(maxResults)} with 400 invalid_request`, async () => {
        expectError(await list(aliceAuth, { max_results: maxResults }), 400, 'invalid_request');
      });
    }

    for (const countsOnly of ['yes', '1']) {
      it(`refuses counts_only=${JSON.stringify(countsOnly)} with 400 invalid_request`, async () => {
        expectError(await list(aliceAuth, { counts_only: countsOnly }), 400, 'invalid_request');
      });
    }

    it('takes start=, max_results= and counts_only= sent empty as omitted (RFC 6749 §3.1)', async () => {
      const res = await list(aliceAuth, { start: '', max_results: '', counts_only: '' });
      assert.equal(res.status, 200, res.text);
      assert.ok(Array.isArray(res.body));
    });

    it('accepts the paging boundaries start=0, max_results=1 and 200, counts_only=false', async () => {
      for (const form of [
        { start: '0' },
        { max_results: '1' },
        { max_results: '200' },
        { counts_only: 'false' },
      ]) {
        const res = await list(aliceAuth, form);
        assert.equal(res.status, 200, `${JSON.stringify(form)}: ${res.text}`);
        assert.ok(Array.isArray(res.body));
      }
    });
  });

  describe('order of checks (README: POST /oauth2/token/list): user, token_type, super client, client_id, paging', () => {
    const unknownClient = () => `no-such-client-${randomBytes(4).toString('hex')}`;

    it('bad user + bad token_type → 401 invalid_token', async () => {
      expectInvalidToken(
        await list(basicAuth(alice.username, 'wrong'), { token_type: 'nope' }),
        'Basic',
      );
    });

    it('missing user + every other field bad → 401 invalid_token', async () => {
      const res = await list(undefined, {
        token_type: 'nope',
        super_client_secret: 'wrong',
        client_id: unknownClient(),
        start: '-1',
      });
      expectInvalidToken(res);
    });

    it('third-party bearer + bad token_type → 403 insufficient_scope', async () => {
      const thirdParty = await authorizeAndExchange(t, { session: aliceSession, client: pdf });
      expectError(
        await list(bearer(thirdParty.access_token), { token_type: 'nope' }),
        403,
        'insufficient_scope',
      );
    });

    it('good user + bad token_type + wrong super secret → 400 about token_type', async () => {
      const res = await list(aliceAuth, { token_type: 'nope', super_client_secret: 'wrong' });
      assert.match(expectError(res, 400, 'invalid_request').error_description, /token_type/);
    });

    it('good user + missing token_type + missing super fields → 400 about token_type', async () => {
      const res = await list(aliceAuth, {
        token_type: undefined,
        super_client_id: undefined,
        super_client_secret: undefined,
      });
      const body = expectError(res, 400, 'invalid_request');
      assert.match(body.error_description, /token_type/);
      assert.doesNotMatch(body.error_description, /super_client/);
    });

    it('good user + good token_type + wrong super secret + unknown client_id + bad start → 401 invalid_client', async () => {
      const res = await list(aliceAuth, {
        super_client_secret: 'wrong',
        client_id: unknownClient(),
        start: 'abc',
      });
      expectError(res, 401, 'invalid_client');
    });

    it('good user + good token_type + missing super secret + bad start → 400 about the super client', async () => {
      const res = await list(aliceAuth, { super_client_secret: undefined, start: 'abc' });
      const body = expectError(res, 400, 'invalid_request');
      assert.match(body.error_description, /super_client/);
      assert.doesNotMatch(body.error_description, /\bstart\b/);
    });

    it('good user + not-super client + unknown client_id + bad max_results → 403 unauthorized_client', async () => {
      const res = await list(aliceAuth, {
        super_client_id: pdf.client_id,
        super_client_secret: pdf.client_secret,
        client_id: unknownClient(),
        max_results: '0',
      });
      expectError(res, 403, 'unauthorized_client');
    });

    it('good everything + unknown client_id + bad start → 400 about client_id', async () => {
      const res = await list(aliceAuth, { client_id: unknownClient(), start: '-1' });
      const body = expectError(res, 400, 'invalid_request');
      assert.match(body.error_description, /client_id/);
      assert.doesNotMatch(body.error_description, /\bstart\b/);
    });

    it('good everything + known client_id + bad start → 400 about start', async () => {
      const res = await list(aliceAuth, { client_id: pdf.client_id, start: '-1' });
      assert.match(expectError(res, 400, 'invalid_request').error_description, /\bstart\b/);
    });
  });

  describe('error body shape (README: API at a glance)', () => {
    it('is exactly {error, error_description}, strings, with no stack trace, SQL or secret', async () => {
      const wrongSecret = `tvs_${randomBytes(32).toString('base64url')}`;
      const wrongPassword = `pw-${randomBytes(8).toString('hex')}`;
      const responses: Array<[Response, number, string]> = [
        [await list(undefined), 401, 'invalid_token'],
        [await list(basicAuth(alice.username, wrongPassword)), 401, 'invalid_token'],
        [await list(aliceAuth, { token_type: 'nope' }), 400, 'invalid_request'],
        [await list(aliceAuth, { super_client_secret: wrongSecret }), 401, 'invalid_client'],
        [
          await list(aliceAuth, {
            super_client_id: "x' OR '1'='1",
            super_client_secret: wrongSecret,
          }),
          401,
          'invalid_client',
        ],
        [
          await list(aliceAuth, {
            super_client_id: pdf.client_id,
            super_client_secret: pdf.client_secret,
          }),
          403,
          'unauthorized_client',
        ],
        [await list(aliceAuth, { client_id: "x' OR '1'='1" }), 400, 'invalid_request'],
        [await list(aliceAuth, { start: '1e3' }), 400, 'invalid_request'],
        [await revokeSuper(aliceAuth, {}), 400, 'invalid_request'],
        [await revokeSuperAll(aliceAuth, {}), 400, 'invalid_request'],
      ];
      for (const [res, status, code] of responses) {
        expectError(res, status, code);
        assert.ok(!res.text.includes(wrongSecret), 'the presented secret is echoed');
        assert.ok(!res.text.includes(wrongPassword), 'the presented password is echoed');
        assert.ok(!res.text.includes(superClient.client_secret ?? '<none>'));
        assert.doesNotMatch(res.text, /SELECT|INSERT|UPDATE .* SET|\bstack\b/i);
      }
    });
  });

  describe('content type and size (README: API at a glance)', () => {
    it('refuses a JSON body on /oauth2/token/list with 415 and a JSON error', async () => {
      const res = await t
        .http()
        .post('/oauth2/token/list')
        .set('Authorization', aliceAuth)
        .type('json')
        .send({ ...superCredentials(), token_type: 'access_token' });
      assert.equal(res.status, 415);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(Object.keys(res.body as object).sort(), ['error', 'error_description']);
    });

    it('refuses a text/plain body on /oauth2/revoke/super with 415 and a JSON error', async () => {
      const res = await t
        .http()
        .post('/oauth2/revoke/super')
        .set('Authorization', aliceAuth)
        .set('Content-Type', 'text/plain')
        .send(
          new URLSearchParams({ ...superCredentials(), token: 'x' } as Record<
            string,
            string
          >).toString(),
        );
      assert.equal(res.status, 415);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(Object.keys(res.body as object).sort(), ['error', 'error_description']);
    });

    /** Posts a raw body as alice, form-encoded unless another Content-Type is given. */
    const postRaw = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
      t
        .http()
        .post(path)
        .set('Authorization', aliceAuth)
        .set({ 'Content-Type': 'application/x-www-form-urlencoded', ...headers })
        .send(body);
    const listForm = (): string =>
      new URLSearchParams({
        ...superCredentials(),
        token_type: 'access_token',
      } as Record<string, string>).toString();

    const paddedForm = (totalBytes: number): string => {
      const head = `${new URLSearchParams({
        ...superCredentials(),
        token_type: 'access_token',
      } as Record<string, string>).toString()}&padding=`;
      return head + 'x'.repeat(totalBytes - head.length);
    };

    it('refuses a form body over 64 KiB with 413 and a JSON error', async () => {
      const body = paddedForm(64 * 1024 + 1);
      assert.equal(Buffer.byteLength(body), 65_537);
      const res = await t
        .http()
        .post('/oauth2/token/list')
        .set('Authorization', aliceAuth)
        .type('form')
        .send(body);
      assert.equal(res.status, 413);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(Object.keys(res.body as object).sort(), ['error', 'error_description']);
    });

    it('accepts a form body of exactly 64 KiB (unknown fields are ignored, RFC 6749 §3.2)', async () => {
      const body = paddedForm(64 * 1024);
      const res = await t
        .http()
        .post('/oauth2/token/list')
        .set('Authorization', aliceAuth)
        .type('form')
        .send(body);
      assert.equal(res.status, 200, res.text);
    });

    it('answers malformed JSON on /oauth2/client/register with 400 and a JSON error', async () => {
      const res = await t
        .http()
        .post('/oauth2/client/register')
        .set('Authorization', aliceAuth)
        .set('Content-Type', 'application/json')
        .send('{"name": "Broken", "type": ');
      expectError(res, 400, 'invalid_request');
    });

    it('refuses a compressed body with 415, without reading it as a form', async () => {
      const res = await postRaw('/oauth2/token/list', gzipSync(listForm()), {
        'Content-Encoding': 'gzip',
      });
      expectError(res, 415, 'unsupported_media_type');
    });

    it('refuses a body in another charset than UTF-8 with 415; UTF-8 named in any case passes', async () => {
      const send = (contentType: string) =>
        postRaw('/oauth2/token/list', listForm(), { 'Content-Type': contentType });
      expectError(
        await send('application/x-www-form-urlencoded; charset=latin1'),
        415,
        'unsupported_media_type',
      );
      const utf8 = await send('application/x-www-form-urlencoded; charset="UTF-8"');
      assert.equal(utf8.status, 200, utf8.text);
    });

    it('refuses a form of more than 100 fields with 400 invalid_request', async () => {
      const res = await postRaw('/oauth2/token/list', `${listForm()}${'&x=1'.repeat(100)}`);
      expectError(res, 400, 'invalid_request');
    });

    it('refuses a JSON body that is not an object with 400 invalid_request', async () => {
      const res = await postRaw('/oauth2/client/register', '"just a string"', {
        'Content-Type': 'application/json',
      });
      expectError(res, 400, 'invalid_request');
    });

    it('refuses a repeated token_type with 400 invalid_request, never 500', async () => {
      const form = `${new URLSearchParams(superCredentials() as Record<string, string>).toString()}&token_type=access_token&token_type=refresh_token`;
      const res = await postRaw('/oauth2/token/list', form);
      expectError(res, 400, 'invalid_request');
    });

    it('refuses a repeated super_client_secret with 400 invalid_request, never 500', async () => {
      const secret = encodeURIComponent(superClient.client_secret ?? '');
      const form = `super_client_id=${encodeURIComponent(superClient.client_id)}&super_client_secret=${secret}&super_client_secret=${secret}&token_type=access_token`;
      const res = await postRaw('/oauth2/token/list', form);
      expectError(res, 400, 'invalid_request');
    });

    it('refuses a repeated token on /oauth2/revoke/super with 400 invalid_request, never 500', async () => {
      const form = `${new URLSearchParams(superCredentials() as Record<string, string>).toString()}&token=a&token=b`;
      const res = await postRaw('/oauth2/revoke/super', form);
      expectError(res, 400, 'invalid_request');
    });
  });

  describe('POST /oauth2/revoke/super (README: API at a glance)', () => {
    it('refuses a missing user authentication with 401 invalid_token', async () => {
      expectInvalidToken(await revokeSuper(undefined, { token: 'whatever' }));
    });

    it('refuses a client that is not super with 403 unauthorized_client', async () => {
      const res = await revokeSuper(aliceAuth, {
        super_client_id: pdf.client_id,
        super_client_secret: pdf.client_secret,
        token: 'whatever',
      });
      expectError(res, 403, 'unauthorized_client');
    });

    it('refuses a wrong super-client secret with 401 invalid_client', async () => {
      expectError(
        await revokeSuper(aliceAuth, { super_client_secret: 'wrong', token: 'whatever' }),
        401,
        'invalid_client',
      );
    });

    it('refuses a missing token with 400 invalid_request', async () => {
      expectError(await revokeSuper(aliceAuth, {}), 400, 'invalid_request');
    });

    it("answers 200 for another user's token by handle and changes nothing", async () => {
      const [bobHandle] = await listedHandles(bobSession, { client_id: pdf.client_id });
      assert.ok(bobHandle);
      const res = await revokeSuper(aliceAuth, { token: bobHandle });
      assert.equal(res.status, 200, res.text);
      const [row] = await tokenRows({ handle: bobHandle });
      assert.equal(row?.revokedAt, null);
      assert.ok((await listedHandles(bobSession)).includes(bobHandle));
    });

    it("answers 200 for another user's refresh token by handle and changes nothing, its access token included", async () => {
      const other = await createUser(t);
      await authorizeAndExchange(t, { session: await login(t, superClient, other), client: pdf });
      const before = await tokenRows({ username: other.username, clientId: pdf.client_id });
      const refresh = before.find((r) => r.type === 'refresh_token');
      assert.ok(refresh);
      const res = await revokeSuper(aliceAuth, { token: refresh.handle });
      assert.equal(res.status, 200, res.text);
      const after = await tokenRows({ username: other.username, clientId: pdf.client_id });
      const state = (rows: Token[]) =>
        rows.map((r) => `${r.handle} ${String(r.revokedAt?.toISOString())}`).sort();
      assert.ok(before.some((r) => r.refreshTokenHandle === refresh.handle));
      assert.deepEqual(state(after), state(before));
    });

    it("answers 200 for another user's token by raw value and changes nothing", async () => {
      const issued = await authorizeAndExchange(t, { session: bobSession, client: stats });
      const before = await tokenRows({ username: bob.username, clientId: stats.client_id });
      assert.equal(before.length, 2);
      for (const raw of [issued.access_token, issued.refresh_token ?? '']) {
        assert.equal((await revokeSuper(aliceAuth, { token: raw })).status, 200);
      }
      const afterRows = await tokenRows({ username: bob.username, clientId: stats.client_id });
      assert.ok(afterRows.every((r) => r.revokedAt === null));
      const accessRow = afterRows.find((r) => r.type === 'access_token');
      const refreshRow = afterRows.find((r) => r.type === 'refresh_token');
      assert.ok(accessRow && refreshRow);
      assert.ok(
        (await listedHandles(bobSession, { client_id: stats.client_id })).includes(
          accessRow.handle,
        ),
      );
      assert.ok(
        (
          await listedHandles(bobSession, {
            client_id: stats.client_id,
            token_type: 'refresh_token',
          })
        ).includes(refreshRow.handle),
      );
    });

    it("does not revoke the super client's session of another user by raw value", async () => {
      assert.equal((await revokeSuper(aliceAuth, { token: bobSession.access_token })).status, 200);
      assert.equal((await listTokens(t, superClient, bearer(bobSession.access_token))).status, 200);
    });

    it('answers 200 for an unknown token and changes nothing', async () => {
      const live = async () =>
        (await t.dataSource.getRepository(Token).findBy({})).filter((r) => r.revokedAt === null)
          .length;
      const before = await live();
      for (const token of [
        `tva_${randomBytes(32).toString('base64url')}`,
        `tvr_${randomBytes(32).toString('base64url')}`,
        randomBytes(16).toString('base64url'),
      ]) {
        const res = await revokeSuper(aliceAuth, { token });
        assert.equal(res.status, 200, res.text);
      }
      assert.equal(await live(), before);
    });

    it("revokes the user's own token by handle (control case)", async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      await authorizeAndExchange(t, { session, client: pdf });
      const [handle] = await listedHandles(session);
      assert.ok(handle);
      assert.equal(
        (await revokeSuper(bearer(session.access_token), { token: handle })).status,
        200,
      );
      const [row] = await tokenRows({ handle });
      assert.ok(row?.revokedAt instanceof Date);
      assert.deepEqual(await listedHandles(session), []);
    });

    it('revoking a refresh token by handle also revokes the access tokens issued with it', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      // Two grants to one client: only the grant of the revoked refresh token may go.
      await authorizeAndExchange(t, { session, client: pdf });
      await authorizeAndExchange(t, { session, client: pdf });
      const rows = await tokenRows({ username: user.username, clientId: pdf.client_id });
      assert.equal(rows.length, 4);
      const [target, survivor] = rows.filter((r) => r.type === 'refresh_token');
      assert.ok(target && survivor);
      const accessOf = (refreshHandle: string) =>
        rows
          .filter((r) => r.type === 'access_token' && r.refreshTokenHandle === refreshHandle)
          .map((r) => r.handle);
      assert.equal(accessOf(target.handle).length, 1);
      assert.equal(accessOf(survivor.handle).length, 1);

      const res = await revokeSuper(bearer(session.access_token), { token: target.handle });
      assert.equal(res.status, 200, res.text);

      const after = await tokenRows({ username: user.username, clientId: pdf.client_id });
      const revoked = after.filter((r) => r.revokedAt !== null).map((r) => r.handle);
      assert.deepEqual(revoked.sort(), [target.handle, ...accessOf(target.handle)].sort());
      assert.deepEqual(await listedHandles(session, { token_type: 'refresh_token' }), [
        survivor.handle,
      ]);
      assert.deepEqual(await listedHandles(session), accessOf(survivor.handle));
    });

    it('revoking a refresh token by raw value also revokes the access token issued with it', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const issued = await authorizeAndExchange(t, { session, client: stats });
      assert.ok(issued.refresh_token);
      const res = await revokeSuper(bearer(session.access_token), { token: issued.refresh_token });
      assert.equal(res.status, 200, res.text);
      const rows = await tokenRows({ username: user.username, clientId: stats.client_id });
      assert.equal(rows.length, 2);
      assert.ok(rows.every((r) => r.revokedAt !== null));
      assert.deepEqual(await listedHandles(session), []);
    });
  });

  describe('POST /oauth2/revoke/super/all (README: API at a glance)', () => {
    it('refuses a missing user authentication with 401 invalid_token', async () => {
      expectInvalidToken(await revokeSuperAll(undefined, { client_id: pdf.client_id }));
    });

    it('refuses a client that is not super with 403 unauthorized_client', async () => {
      const res = await revokeSuperAll(aliceAuth, {
        super_client_id: pdf.client_id,
        super_client_secret: pdf.client_secret,
        client_id: pdf.client_id,
      });
      expectError(res, 403, 'unauthorized_client');
    });

    it('refuses a missing client_id with 400 invalid_request', async () => {
      expectError(await revokeSuperAll(aliceAuth, {}), 400, 'invalid_request');
    });

    it('refuses an unknown client_id with 400 invalid_request', async () => {
      const res = await revokeSuperAll(aliceAuth, {
        client_id: `no-such-client-${randomBytes(4).toString('hex')}`,
      });
      expectError(res, 400, 'invalid_request');
    });

    it('revokes every token of the user for that client, and nothing else', async () => {
      const carol = await createUser(t);
      const dave = await createUser(t);
      const carolSession = await login(t, superClient, carol);
      const daveSession = await login(t, superClient, dave);
      await authorizeAndExchange(t, { session: carolSession, client: pdf });
      await authorizeAndExchange(t, { session: carolSession, client: pdf, scope: 'search' });
      await authorizeAndExchange(t, { session: carolSession, client: stats });
      await authorizeAndExchange(t, { session: daveSession, client: pdf });
      const carolStatsBefore = {
        access: await listedHandles(carolSession, { client_id: stats.client_id }),
        refresh: await listedHandles(carolSession, {
          client_id: stats.client_id,
          token_type: 'refresh_token',
        }),
      };
      const daveBefore = {
        access: await listedHandles(daveSession, { client_id: pdf.client_id }),
        refresh: await listedHandles(daveSession, {
          client_id: pdf.client_id,
          token_type: 'refresh_token',
        }),
      };
      assert.equal((await listedHandles(carolSession, { client_id: pdf.client_id })).length, 2);
      assert.equal(carolStatsBefore.access.length, 1);
      assert.equal(daveBefore.refresh.length, 1);

      const res = await revokeSuperAll(bearer(carolSession.access_token), {
        client_id: pdf.client_id,
      });
      assert.equal(res.status, 200, res.text);

      assert.deepEqual(await listedHandles(carolSession, { client_id: pdf.client_id }), []);
      assert.deepEqual(
        await listedHandles(carolSession, {
          client_id: pdf.client_id,
          token_type: 'refresh_token',
        }),
        [],
      );
      const carolPdfRows = await tokenRows({ username: carol.username, clientId: pdf.client_id });
      assert.equal(carolPdfRows.length, 4);
      assert.ok(carolPdfRows.every((r) => r.revokedAt !== null));

      assert.deepEqual(
        await listedHandles(carolSession, { client_id: stats.client_id }),
        carolStatsBefore.access,
      );
      assert.deepEqual(
        await listedHandles(carolSession, {
          client_id: stats.client_id,
          token_type: 'refresh_token',
        }),
        carolStatsBefore.refresh,
      );
      assert.deepEqual(
        await listedHandles(daveSession, { client_id: pdf.client_id }),
        daveBefore.access,
      );
      assert.deepEqual(
        await listedHandles(daveSession, { client_id: pdf.client_id, token_type: 'refresh_token' }),
        daveBefore.refresh,
      );
      const daveRows = await tokenRows({ username: dave.username, clientId: pdf.client_id });
      assert.ok(daveRows.every((r) => r.revokedAt === null));
      // The super client's own session survives: it was issued to another client.
      assert.equal((await sessionRow(carol)).revokedAt, null);
    });
  });
});
