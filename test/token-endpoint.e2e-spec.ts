import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { digestSecret } from '../src/auth/secrets';
import { AuthorizationCode } from '../src/authorization/authorization-code.entity';
import { Token } from '../src/tokens/token.entity';
import {
  authorizeAndExchange,
  clientBasic,
  createClient,
  createSuperClient,
  createUser,
  foreignJwt,
  insertClientRow,
  login,
  pkcePair,
  type TestClient,
  type TestUser,
  type TokenResponse,
} from './support/factories';
import { basicAuth, bearer, startTestApp, type TestApp } from './support/test-app';
import { expectOAuthError as assertError } from './support/assertions';

/** A successful token response (RFC 6749 §5.1): exact fields, prefixes, no-cache headers. */
function assertIssued(
  res: Response,
  expected: { refresh: boolean; expiresIn: number },
): TokenResponse {
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.headers.pragma, 'no-cache');
  const body = res.body as TokenResponse;
  const keys = ['access_token', 'expires_in', 'scope', 'token_type'];
  if (expected.refresh) keys.push('refresh_token');
  assert.deepEqual(Object.keys(body).sort(), keys.sort());
  assert.match(body.access_token, /^tva_[A-Za-z0-9_-]{43,}$/);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, expected.expiresIn);
  assert.equal(typeof body.scope, 'string');
  if (expected.refresh) assert.match(body.refresh_token ?? '', /^tvr_[A-Za-z0-9_-]{43,}$/);
  return body;
}

const scopeSet = (scope: string): string[] => scope.split(' ').sort();

const DAY = 86_400;
const YEAR = 31_536_000;

describe('POST /oauth2/token and POST /oauth2/revoke', () => {
  let t: TestApp;
  let superClient: TestClient;
  let user: TestUser;
  let session: TokenResponse;
  let pdf: TestClient;
  let stats: TestClient;
  let script: TestClient;

  before(async () => {
    // Reuse detection as RFC 9700 §4.14.2 has it; the grace Kalamar needs: kalamar.e2e-spec.ts.
    t = await startTestApp({ REFRESH_TOKEN_REUSE_GRACE: '0' });
    superClient = await createSuperClient(t);
    user = await createUser(t);
    session = await login(t, superClient, user);
    pdf = await createClient(t);
    stats = await createClient(t);
    script = await createClient(t, { type: 'PUBLIC' });
  });
  after(() => t.close());

  const post = (path: string, form: Record<string, string>, authorization?: string) => {
    const req = t.http().post(path).type('form');
    if (authorization !== undefined) req.set('Authorization', authorization);
    return req.send(form);
  };
  const token = (form: Record<string, string>, authorization?: string) =>
    post('/oauth2/token', form, authorization);
  const revoke = (form: Record<string, string>, authorization?: string) =>
    post('/oauth2/revoke', form, authorization);

  /** client_secret_post credentials, or client_id alone for a public client. */
  const credentials = (client: TestClient): Record<string, string> =>
    client.client_secret === undefined
      ? { client_id: client.client_id }
      : { client_id: client.client_id, client_secret: client.client_secret };

  /** The authorize request through the super client's session; returns the code. */
  async function codeFor(
    client: TestClient,
    options: { scope?: string; challenge?: string; redirectUri?: string } = {},
  ): Promise<string> {
    const res = await t
      .http()
      .get('/oauth2/authorize')
      .set('Authorization', bearer(session.access_token))
      .query({
        response_type: 'code',
        client_id: client.client_id,
        scope: options.scope ?? 'search match_info',
        state: 's',
        ...(options.challenge === undefined
          ? {}
          : { code_challenge: options.challenge, code_challenge_method: 'S256' }),
        ...(options.redirectUri === undefined ? {} : { redirect_uri: options.redirectUri }),
      });
    assert.equal(res.status, 302, JSON.stringify(res.body));
    const code = new URL(res.headers.location as string).searchParams.get('code');
    assert.ok(code, `no code in ${res.headers.location as string}`);
    return code;
  }

  const exchange = (client: TestClient, code: string, extra: Record<string, string> = {}) =>
    token({ grant_type: 'authorization_code', code, ...credentials(client), ...extra });

  const tokenRow = (raw: string) =>
    t.dataSource.getRepository(Token).findOneByOrFail({ digest: digestSecret(raw) });

  const refresh = (client: TestClient, refreshToken: string, extra: Record<string, string> = {}) =>
    token(
      { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
      clientBasic(client),
    );

  describe('authorization_code', () => {
    it('issues access and refresh tokens to a confidential client', async () => {
      const code = await codeFor(pdf);
      const body = assertIssued(await exchange(pdf, code), { refresh: true, expiresIn: DAY });
      assert.deepEqual(scopeSet(body.scope), ['match_info', 'search']);
      assert.ok(!body.scope.includes(','));

      const access = await tokenRow(body.access_token);
      const refreshRow = await tokenRow(body.refresh_token ?? '');
      assert.equal(access.type, 'access_token');
      assert.equal(access.userId, user.id);
      assert.equal(refreshRow.userId, user.id);
      assert.equal(access.username, user.username);
      assert.equal(access.clientId, pdf.client_id);
      assert.equal(access.revokedAt, null);
      assert.equal(access.refreshTokenHandle, refreshRow.handle);
      assert.equal(refreshRow.type, 'refresh_token');
      // Only digests are stored.
      assert.notEqual(access.digest, body.access_token);
      assert.ok(!access.handle.startsWith('tva_'));
    });

    it('authenticates the client with client_secret_basic as well', async () => {
      const code = await codeFor(pdf);
      const res = await token({ grant_type: 'authorization_code', code }, clientBasic(pdf));
      assertIssued(res, { refresh: true, expiresIn: DAY });
    });

    it('gives a public client (PKCE) a long-lived access token and no refresh token', async () => {
      const { verifier, challenge } = pkcePair();
      const code = await codeFor(script, { challenge });
      const body = assertIssued(await exchange(script, code, { code_verifier: verifier }), {
        refresh: false,
        expiresIn: YEAR,
      });
      const row = await tokenRow(body.access_token);
      assert.equal(row.clientId, script.client_id);
      assert.equal(row.refreshTokenHandle, null);
      const ttl = (row.expiresAt.getTime() - Date.now()) / 1000;
      assert.ok(ttl > YEAR - 60 && ttl <= YEAR, `lifetime ${ttl}s`);
    });

    it('refuses a second redemption and revokes what the first one issued', async () => {
      const code = await codeFor(pdf);
      const first = assertIssued(await exchange(pdf, code), { refresh: true, expiresIn: DAY });
      assert.equal((await tokenRow(first.access_token)).revokedAt, null);

      assertError(await exchange(pdf, code), 400, 'invalid_grant');
      assert.notEqual((await tokenRow(first.access_token)).revokedAt, null, 'access token revoked');
      assert.notEqual(
        (await tokenRow(first.refresh_token ?? '')).revokedAt,
        null,
        'refresh token revoked',
      );
      assertError(await refresh(pdf, first.refresh_token ?? ''), 400, 'invalid_grant');
    });

    it('redeems a code exactly once when two requests race', async () => {
      const code = await codeFor(pdf);
      const results = await Promise.all([
        exchange(pdf, code),
        exchange(pdf, code),
        exchange(pdf, code),
      ]);
      const statuses = results.map((res) => res.status).sort();
      assert.deepEqual(
        statuses,
        [200, 400, 400],
        JSON.stringify(results.map((res): unknown => res.body)),
      );
      for (const res of results.filter((r) => r.status !== 200))
        assertError(res, 400, 'invalid_grant');
    });

    it('400 invalid_request without code', async () => {
      assertError(
        await token({ grant_type: 'authorization_code', ...credentials(pdf) }),
        400,
        'invalid_request',
      );
    });

    it('refuses a code issued to another client', async () => {
      const code = await codeFor(pdf);
      assertError(await exchange(stats, code), 400, 'invalid_grant');
    });

    it('refuses a redirect_uri that differs from the authorization request', async () => {
      const code = await codeFor(pdf, { redirectUri: pdf.redirect_uri ?? '' });
      assertError(
        await exchange(pdf, code, { redirect_uri: 'https://elsewhere.example/callback' }),
        400,
        'invalid_grant',
      );
      assertError(
        await exchange(pdf, code, { redirect_uri: `${pdf.redirect_uri ?? ''}/` }),
        400,
        'invalid_grant',
      );
    });

    it('refuses a wrong redirect_uri even when the authorization request omitted it', async () => {
      const code = await codeFor(pdf);
      assertError(
        await exchange(pdf, code, { redirect_uri: 'https://elsewhere.example/callback' }),
        400,
        'invalid_grant',
      );
    });

    it('requires the redirect_uri when the authorization request sent it (RFC 6749 §4.1.3)', async () => {
      const code = await codeFor(pdf, { redirectUri: pdf.redirect_uri ?? '' });
      const missing = assertError(await exchange(pdf, code), 400, 'invalid_grant');
      assert.match(missing.error_description, /redirect_uri is required/);
      const fresh = await codeFor(pdf, { redirectUri: pdf.redirect_uri ?? '' });
      const ok = await exchange(pdf, fresh, { redirect_uri: pdf.redirect_uri ?? '' });
      assertIssued(ok, { refresh: true, expiresIn: DAY });
    });

    describe('a refused redemption spends the code (RFC 6749 §4.1.2, §10.5; Kustvakt)', () => {
      const codeRow = (code: string) =>
        t.dataSource
          .getRepository(AuthorizationCode)
          .findOneByOrFail({ digest: digestSecret(code) });
      const familyTokens = async (code: string) =>
        t.dataSource.getRepository(Token).countBy({ familyId: (await codeRow(code)).familyId });

      /** Each way to fail a redemption, with what the failure answers. */
      const refusals: Array<{
        name: string;
        status: number;
        error: string;
        redeem: (code: string) => Promise<Response>;
      }> = [
        {
          name: 'a wrong redirect_uri',
          status: 400,
          error: 'invalid_grant',
          redeem: (code) => exchange(pdf, code, { redirect_uri: 'https://elsewhere.example/cb' }),
        },
        {
          name: 'a missing redirect_uri',
          status: 400,
          error: 'invalid_grant',
          redeem: (code) => exchange(pdf, code),
        },
        {
          name: 'a code_verifier for a code without a challenge',
          status: 400,
          error: 'invalid_grant',
          redeem: (code) =>
            exchange(pdf, code, {
              redirect_uri: pdf.redirect_uri ?? '',
              code_verifier: pkcePair().verifier,
            }),
        },
        {
          name: 'a wrong client secret (failed client authentication)',
          status: 401,
          error: 'invalid_client',
          redeem: (code) =>
            token(
              { grant_type: 'authorization_code', code, redirect_uri: pdf.redirect_uri ?? '' },
              basicAuth(pdf.client_id, 'tvs_wrong'),
            ),
        },
        {
          name: 'the client_id alone of a confidential client',
          status: 401,
          error: 'invalid_client',
          redeem: (code) =>
            token({
              grant_type: 'authorization_code',
              code,
              redirect_uri: pdf.redirect_uri ?? '',
              client_id: pdf.client_id,
            }),
        },
        {
          name: 'no client authentication at all',
          status: 401,
          error: 'invalid_client',
          redeem: (code) =>
            token({ grant_type: 'authorization_code', code, redirect_uri: pdf.redirect_uri ?? '' }),
        },
        {
          name: 'two client authentication methods',
          status: 400,
          error: 'invalid_request',
          redeem: (code) =>
            token(
              {
                grant_type: 'authorization_code',
                code,
                redirect_uri: pdf.redirect_uri ?? '',
                client_secret: pdf.client_secret ?? '',
              },
              clientBasic(pdf),
            ),
        },
        {
          name: 'another client',
          status: 400,
          error: 'invalid_grant',
          redeem: (code) => exchange(stats, code, { redirect_uri: pdf.redirect_uri ?? '' }),
        },
      ];

      for (const refusal of refusals) {
        it(`after ${refusal.name}, the right request gets invalid_grant and nothing is issued`, async () => {
          const code = await codeFor(pdf, { redirectUri: pdf.redirect_uri ?? '' });
          const res = await refusal.redeem(code);
          assertError(res, refusal.status, refusal.error);
          if (refusal.status === 401) {
            assert.equal(res.headers['www-authenticate'], 'Basic realm="tokenvakt"');
          }
          assert.notEqual((await codeRow(code)).redeemedAt, null, 'the code is spent');

          const right = await exchange(pdf, code, { redirect_uri: pdf.redirect_uri ?? '' });
          const body = assertError(right, 400, 'invalid_grant');
          assert.match(body.error_description, /already been used/);
          assert.equal(await familyTokens(code), 0);
        });
      }

      it('after a wrong code_verifier from a public client (PKCE), the right one is refused', async () => {
        const { verifier, challenge } = pkcePair();
        const code = await codeFor(script, { challenge });
        assertError(
          await exchange(script, code, { code_verifier: pkcePair().verifier }),
          400,
          'invalid_grant',
        );
        assertError(
          await exchange(script, code, { code_verifier: verifier }),
          400,
          'invalid_grant',
        );
        assert.equal(await familyTokens(code), 0);
      });

      it('a code spent by a refusal revokes nothing when presented again; a redeemed one still does', async () => {
        const reuseCount = async () => {
          const text = (await t.http().get('/metrics')).text;
          const line = text
            .split('\n')
            .find((l) => l.startsWith('tokenvakt_revocations_total{cause="reuse"}'));
          return Number(line?.split(' ').pop() ?? 0);
        };
        const before = await reuseCount();
        const spent = await codeFor(pdf);
        assertError(await exchange(stats, spent), 400, 'invalid_grant');
        assertError(await exchange(pdf, spent), 400, 'invalid_grant');
        assert.equal(await reuseCount(), before, 'no reuse counted: nothing was issued');

        const redeemed = await codeFor(pdf);
        const first = assertIssued(await exchange(pdf, redeemed), {
          refresh: true,
          expiresIn: DAY,
        });
        // A failed attempt with the used code is refused and changes nothing (as before).
        assertError(await exchange(stats, redeemed), 400, 'invalid_grant');
        assert.equal((await tokenRow(first.access_token)).revokedAt, null);
        // Its own client redeeming it again is reuse: the grant is revoked (RFC 6749 §4.1.2).
        assertError(await exchange(pdf, redeemed), 400, 'invalid_grant');
        assert.notEqual((await tokenRow(first.access_token)).revokedAt, null);
        assert.equal(await reuseCount(), before + 1);
      });

      it('a refusal racing the right request: the database lets exactly one of them have the code', async () => {
        for (let round = 0; round < 5; round++) {
          const code = await codeFor(pdf, { redirectUri: pdf.redirect_uri ?? '' });
          const [right, wrong] = await Promise.all([
            exchange(pdf, code, { redirect_uri: pdf.redirect_uri ?? '' }),
            exchange(pdf, code, { redirect_uri: 'https://elsewhere.example/cb' }),
          ]);
          assertError(wrong, 400, 'invalid_grant');
          if (right.status === 200) {
            const issued = assertIssued(right, { refresh: true, expiresIn: DAY });
            assert.equal((await tokenRow(issued.access_token)).revokedAt, null);
          } else {
            assertError(right, 400, 'invalid_grant');
            assert.equal(await familyTokens(code), 0);
          }
        }
      });

      it('a request refused with 429 by the throttle does not spend the code', async () => {
        const throttled = await createClient(t);
        const code = await codeFor(throttled);
        for (let i = 0; i < 10; i++) {
          await token(
            { grant_type: 'client_credentials', scope: 'search' },
            basicAuth(throttled.client_id, 'tvs_wrong'),
          );
        }
        const res = await exchange(throttled, code);
        assert.equal(res.status, 429, res.text);
        assert.equal((await codeRow(code)).redeemedAt, null, 'the code is not spent');
      });
    });

    it('refuses a wrong code_verifier', async () => {
      const { challenge } = pkcePair();
      const code = await codeFor(script, { challenge });
      assertError(
        await exchange(script, code, { code_verifier: pkcePair().verifier }),
        400,
        'invalid_grant',
      );
      const confidentialCode = await codeFor(pdf, { challenge });
      assertError(
        await exchange(pdf, confidentialCode, { code_verifier: pkcePair().verifier }),
        400,
        'invalid_grant',
      );
    });

    it('refuses a missing code_verifier when a challenge was sent', async () => {
      const { challenge } = pkcePair();
      assertError(
        await exchange(script, await codeFor(script, { challenge })),
        400,
        'invalid_grant',
      );
      assertError(await exchange(pdf, await codeFor(pdf, { challenge })), 400, 'invalid_grant');
    });

    it('refuses a code_verifier when no challenge was sent (PKCE downgrade)', async () => {
      const code = await codeFor(pdf);
      assertError(
        await exchange(pdf, code, { code_verifier: pkcePair().verifier }),
        400,
        'invalid_grant',
      );
    });

    it("accepts a confidential client's own PKCE verifier", async () => {
      const { verifier, challenge } = pkcePair();
      const code = await codeFor(pdf, { challenge });
      assertIssued(await exchange(pdf, code, { code_verifier: verifier }), {
        refresh: true,
        expiresIn: DAY,
      });
    });

    it('refuses an expired code', async () => {
      const code = await codeFor(pdf);
      await t.dataSource
        .getRepository(AuthorizationCode)
        .update({ digest: digestSecret(code) }, { expiresAt: new Date(Date.now() - 1000) });
      assertError(await exchange(pdf, code), 400, 'invalid_grant');
    });

    it('refuses an unknown code', async () => {
      assertError(
        await exchange(pdf, `tvc_${randomBytes(32).toString('base64url')}`),
        400,
        'invalid_grant',
      );
      assertError(await exchange(pdf, 'not-a-code'), 400, 'invalid_grant');
    });
  });

  describe('refresh_token', () => {
    it('rotates: a new pair, the old refresh token and its access token are revoked', async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      const rotated = assertIssued(await refresh(pdf, issued.refresh_token ?? ''), {
        refresh: true,
        expiresIn: DAY,
      });
      assert.notEqual(rotated.access_token, issued.access_token);
      assert.notEqual(rotated.refresh_token, issued.refresh_token);
      assert.deepEqual(scopeSet(rotated.scope), ['match_info', 'search']);

      const oldRefresh = await tokenRow(issued.refresh_token ?? '');
      assert.notEqual(oldRefresh.revokedAt, null);
      assert.notEqual((await tokenRow(issued.access_token)).revokedAt, null);
      const newRefresh = await tokenRow(rotated.refresh_token ?? '');
      assert.equal(newRefresh.revokedAt, null);
      // The new pair acts for the same user.
      assert.equal(newRefresh.userId, user.id);
      assert.equal((await tokenRow(rotated.access_token)).userId, user.id);
      // Rotation does not extend the grant.
      assert.equal(newRefresh.expiresAt.getTime(), oldRefresh.expiresAt.getTime());

      assertError(await refresh(pdf, issued.refresh_token ?? ''), 400, 'invalid_grant');
    });

    it('issues a token with a requested subset of the scope', async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      const narrowed = assertIssued(
        await refresh(pdf, issued.refresh_token ?? '', { scope: 'search' }),
        {
          refresh: true,
          expiresIn: DAY,
        },
      );
      assert.equal(narrowed.scope, 'search');
      assert.equal((await tokenRow(narrowed.access_token)).scope, 'search');
    });

    it("keeps the refresh token's original scope when the access token is narrowed (RFC 6749 §6)", async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      const narrowed = assertIssued(
        await refresh(pdf, issued.refresh_token ?? '', { scope: 'search' }),
        {
          refresh: true,
          expiresIn: DAY,
        },
      );
      // "the refresh token scope MUST be identical to that of the refresh token included by the client"
      assert.deepEqual(scopeSet((await tokenRow(narrowed.refresh_token ?? '')).scope), [
        'match_info',
        'search',
      ]);
      const widenedAgain = await refresh(pdf, narrowed.refresh_token ?? '', {
        scope: 'search match_info',
      });
      assert.deepEqual(
        scopeSet(assertIssued(widenedAgain, { refresh: true, expiresIn: DAY }).scope),
        ['match_info', 'search'],
      );
    });

    it('rotates a refresh token exactly once when two requests race', async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      const results = await Promise.all([
        refresh(pdf, issued.refresh_token ?? ''),
        refresh(pdf, issued.refresh_token ?? ''),
      ]);
      const statuses = results.map((res) => res.status).sort();
      assert.deepEqual(
        statuses,
        [200, 400],
        JSON.stringify(results.map((res): unknown => res.body)),
      );
    });

    it('refuses a scope beyond the original grant, and the refresh token still works', async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf, scope: 'search' });
      assertError(
        await refresh(pdf, issued.refresh_token ?? '', { scope: 'search match_info' }),
        400,
        'invalid_scope',
      );
      assertError(
        await refresh(pdf, issued.refresh_token ?? '', { scope: 'all' }),
        400,
        'invalid_scope',
      );
      assert.equal((await tokenRow(issued.refresh_token ?? '')).revokedAt, null);
      assertIssued(await refresh(pdf, issued.refresh_token ?? ''), {
        refresh: true,
        expiresIn: DAY,
      });
    });

    it('refuses a refresh token of another client and leaves it alone', async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      assertError(await refresh(stats, issued.refresh_token ?? ''), 400, 'invalid_grant');
      assert.equal((await tokenRow(issued.refresh_token ?? '')).revokedAt, null);
    });

    it('refuses an access token presented as a refresh token', async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      assertError(await refresh(pdf, issued.access_token), 400, 'invalid_grant');
    });
  });

  describe('password', () => {
    const password = (client: TestClient, form: Record<string, string>) =>
      token({ grant_type: 'password', ...form }, clientBasic(client));

    it('gives a super client scope "all" by default', async () => {
      const res = await password(superClient, { username: user.username, password: user.password });
      const body = assertIssued(res, { refresh: true, expiresIn: DAY });
      assert.equal(body.scope, 'all');
      const row = await tokenRow(body.access_token);
      assert.equal(row.userId, user.id);
      assert.equal(row.username, user.username);
      assert.equal(row.clientId, superClient.client_id);
    });

    it('grants an explicitly requested scope', async () => {
      const res = await password(superClient, {
        username: user.username,
        password: user.password,
        scope: 'search',
      });
      assert.equal(assertIssued(res, { refresh: true, expiresIn: DAY }).scope, 'search');
    });

    it('400 invalid_grant for a wrong password or an unknown user', async () => {
      assertError(
        await password(superClient, { username: user.username, password: 'wrong' }),
        400,
        'invalid_grant',
      );
      assertError(
        await password(superClient, { username: 'nobody-here', password: 'x' }),
        400,
        'invalid_grant',
      );
    });

    it('400 unauthorized_client for a client that is not super', async () => {
      const res = await password(pdf, { username: user.username, password: user.password });
      assertError(res, 400, 'unauthorized_client');
    });

    it('400 invalid_request without a username', async () => {
      assertError(await password(superClient, { password: user.password }), 400, 'invalid_request');
    });

    it('400 unauthorized_client for a public client with the super flag, and no token issued', async () => {
      // Registration and `clients grant` refuse such a client and the server does not start
      // with one; this row stands for one that reached the table all the same.
      const id = await insertClientRow(t, { type: 'PUBLIC', isSuper: true });
      const res = await token({
        grant_type: 'password',
        client_id: id,
        username: user.username,
        password: user.password,
      });
      assertError(res, 400, 'unauthorized_client');
      assert.equal(await t.dataSource.getRepository(Token).countBy({ clientId: id }), 0);
    });
  });

  describe('client_credentials', () => {
    it('issues an access token without a user and without a refresh token', async () => {
      const res = await token(
        { grant_type: 'client_credentials', scope: 'search' },
        clientBasic(pdf),
      );
      const body = assertIssued(res, { refresh: false, expiresIn: DAY });
      assert.equal(body.scope, 'search');
      const row = await tokenRow(body.access_token);
      assert.equal(row.userId, null);
      assert.equal(row.username, null);
      assert.equal(row.clientId, pdf.client_id);
      assert.equal(row.refreshTokenHandle, null);
    });

    it('400 unauthorized_client for a public client', async () => {
      const res = await token({
        grant_type: 'client_credentials',
        scope: 'search',
        client_id: script.client_id,
      });
      assertError(res, 400, 'unauthorized_client');
    });

    it('400 invalid_scope for scope "all" on a third-party client', async () => {
      const res = await token({ grant_type: 'client_credentials', scope: 'all' }, clientBasic(pdf));
      assertError(res, 400, 'invalid_scope');
    });

    it('grants the requested scopes the client may hold and says so in scope (RFC 6749 §3.3)', async () => {
      for (const [requested, granted] of [
        ['preferred_username client_info', 'client_info'],
        ['all search', 'search'],
        ['match_info nonsense search', 'match_info search'],
      ]) {
        const res = await token(
          { grant_type: 'client_credentials', scope: requested ?? '' },
          clientBasic(pdf),
        );
        const body = assertIssued(res, { refresh: false, expiresIn: DAY });
        assert.equal(body.scope, granted);
        assert.equal((await tokenRow(body.access_token)).scope, granted);
      }
    });

    it('400 invalid_scope when no scope is requested, or none of them may be granted', async () => {
      const forms: Array<Record<string, string>> = [
        {},
        { scope: 'preferred_username' },
        { scope: 'all nonsense' },
      ];
      for (const form of forms) {
        assertError(
          await token({ grant_type: 'client_credentials', ...form }, clientBasic(pdf)),
          400,
          'invalid_scope',
        );
      }
    });
  });

  describe('errors', () => {
    it('400 invalid_request without grant_type', async () => {
      assertError(await token({ scope: 'search' }, clientBasic(pdf)), 400, 'invalid_request');
    });

    describe('the request is checked before the client (RFC 6749 §5.2; Kustvakt)', () => {
      const failures = async () => {
        const text = (await t.http().get('/metrics')).text;
        return text
          .split('\n')
          .filter((l) => l.startsWith('tokenvakt_authentication_failures_total'))
          .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      };

      it('an empty form: 400 invalid_request, not 401', async () => {
        assertError(await token({}), 400, 'invalid_request');
      });

      it('an unknown grant_type without client credentials: 400 unsupported_grant_type', async () => {
        assertError(await token({ grant_type: 'blahblah' }), 400, 'unsupported_grant_type');
      });

      it('a malformed request with wrong client credentials: 400, and no secret is checked', async () => {
        const before = await failures();
        const wrong = basicAuth(pdf.client_id, 'tvs_wrong');
        assertError(await token({}, wrong), 400, 'invalid_request');
        assertError(await token({ grant_type: 'implicit' }, wrong), 400, 'unsupported_grant_type');
        const forms: Array<Record<string, string>> = [
          { grant_type: 'authorization_code' },
          { grant_type: 'refresh_token' },
          { grant_type: 'password', username: 'alice' },
        ];
        for (const form of forms) {
          assertError(await token(form, wrong), 400, 'invalid_request');
        }
        assert.equal(await failures(), before, 'no failed credential check was counted');
      });

      it('a well-formed request with wrong client credentials: 401 with its challenge', async () => {
        const res = await token(
          { grant_type: 'refresh_token', refresh_token: 'tvr_x' },
          basicAuth(pdf.client_id, 'tvs_wrong'),
        );
        assertError(res, 401, 'invalid_client');
        assert.equal(res.headers['www-authenticate'], 'Basic realm="tokenvakt"');
      });

      it('a client_secret without client_id: 400 invalid_request (malformed, as in Kustvakt)', async () => {
        const res = await token({
          grant_type: 'client_credentials',
          scope: 'search',
          client_secret: pdf.client_secret ?? '',
        });
        assertError(res, 400, 'invalid_request');
        assert.match(res.body.error_description as string, /without client_id/);
      });
    });

    it('400 unsupported_grant_type for an unknown grant_type', async () => {
      assertError(
        await token({ grant_type: 'foo' }, clientBasic(pdf)),
        400,
        'unsupported_grant_type',
      );
    });

    it('401 invalid_client for a wrong secret via Basic, with WWW-Authenticate', async () => {
      const res = await token(
        { grant_type: 'client_credentials', scope: 'search' },
        basicAuth(pdf.client_id, 'tvs_wrong'),
      );
      assertError(res, 401, 'invalid_client');
      assert.equal(res.headers['www-authenticate'], 'Basic realm="tokenvakt"');
    });

    it('401 invalid_client for a wrong secret via client_secret_post', async () => {
      const res = await token({
        grant_type: 'client_credentials',
        scope: 'search',
        client_id: pdf.client_id,
        client_secret: 'tvs_wrong',
      });
      assertError(res, 401, 'invalid_client');
    });

    it('describes an unknown client exactly like a wrong secret (no enumeration)', async () => {
      const form = { grant_type: 'client_credentials', scope: 'search' };
      const wrongPost = await token({
        ...form,
        client_id: pdf.client_id,
        client_secret: 'tvs_wrong',
      });
      const unknownPost = await token({
        ...form,
        client_id: 'no-such-client',
        client_secret: 'tvs_wrong',
      });
      assertError(unknownPost, 401, 'invalid_client');
      assert.equal(unknownPost.body.error_description, wrongPost.body.error_description);

      const wrongBasic = await token(form, basicAuth(pdf.client_id, 'tvs_wrong'));
      const unknownBasic = await token(form, basicAuth('no-such-client', 'tvs_wrong'));
      assertError(unknownBasic, 401, 'invalid_client');
      assert.equal(unknownBasic.headers['www-authenticate'], 'Basic realm="tokenvakt"');
      assert.equal(unknownBasic.body.error_description, wrongBasic.body.error_description);
    });

    it('401 invalid_client without client authentication', async () => {
      const res = await token({ grant_type: 'client_credentials', scope: 'search' });
      assertError(res, 401, 'invalid_client');
    });

    it('401 invalid_client for a confidential client that sends only its client_id', async () => {
      const code = await codeFor(pdf);
      assertError(
        await token({ grant_type: 'authorization_code', code, client_id: pdf.client_id }),
        401,
        'invalid_client',
      );
    });

    it('415 for a JSON body', async () => {
      const res = await t
        .http()
        .post('/oauth2/token')
        .set('Authorization', clientBasic(pdf))
        .send({ grant_type: 'client_credentials', scope: 'search' });
      assertError(res, 415, null);
    });
  });

  describe('Kustvakt paths', () => {
    for (const prefix of ['/api/v1.0', '/api/v1.1']) {
      it(`serves ${prefix}/oauth2/token and ${prefix}/oauth2/revoke`, async () => {
        const res = await post(
          `${prefix}/oauth2/token`,
          { grant_type: 'client_credentials', scope: 'search' },
          clientBasic(pdf),
        );
        const body = assertIssued(res, { refresh: false, expiresIn: DAY });
        const revoked = await post(
          `${prefix}/oauth2/revoke`,
          { token: body.access_token },
          clientBasic(pdf),
        );
        assert.equal(revoked.status, 200);
        assert.notEqual((await tokenRow(body.access_token)).revokedAt, null);
      });
    }
  });

  describe('POST /oauth2/revoke (RFC 7009)', () => {
    it("revokes the client's own access token: 200, empty body", async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      const res = await revoke({ token: issued.access_token }, clientBasic(pdf));
      assert.equal(res.status, 200);
      assert.equal(res.text, '');
      assert.notEqual((await tokenRow(issued.access_token)).revokedAt, null);
    });

    it('accepts client_secret_post and a wrong token_type_hint', async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      const res = await revoke({
        token: issued.access_token,
        token_type_hint: 'refresh_token',
        ...credentials(pdf),
      });
      assert.equal(res.status, 200);
      assert.notEqual((await tokenRow(issued.access_token)).revokedAt, null);
    });

    it('ignores an unknown token_type_hint', async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      const res = await revoke(
        { token: issued.access_token, token_type_hint: 'something_else' },
        clientBasic(pdf),
      );
      assert.equal(res.status, 200);
      assert.notEqual((await tokenRow(issued.access_token)).revokedAt, null);
    });

    it('lets a public client revoke its token with its client_id', async () => {
      const issued = await authorizeAndExchange(t, { session, client: script });
      const res = await revoke({ token: issued.access_token, client_id: script.client_id });
      assert.equal(res.status, 200);
      assert.notEqual((await tokenRow(issued.access_token)).revokedAt, null);
    });

    it('revoking a refresh token revokes the access tokens issued with it', async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      const refreshRow = await tokenRow(issued.refresh_token ?? '');
      const issuedWith = await t.dataSource
        .getRepository(Token)
        .findBy({ refreshTokenHandle: refreshRow.handle });
      assert.deepEqual(
        issuedWith.map((row) => row.digest),
        [digestSecret(issued.access_token)],
      );

      const res = await revoke(
        { token: issued.refresh_token ?? '', token_type_hint: 'refresh_token' },
        clientBasic(pdf),
      );
      assert.equal(res.status, 200);
      assert.equal(res.text, '');
      assert.notEqual((await tokenRow(issued.refresh_token ?? '')).revokedAt, null);
      assert.notEqual((await tokenRow(issued.access_token)).revokedAt, null);
      assertError(await refresh(pdf, issued.refresh_token ?? ''), 400, 'invalid_grant');
    });

    it('answers 200 for an unknown token', async () => {
      for (const unknown of [`tva_${randomBytes(32).toString('base64url')}`, 'garbage']) {
        const res = await revoke({ token: unknown }, clientBasic(pdf));
        assert.equal(res.status, 200);
        assert.equal(res.text, '');
      }
    });

    it("answers 200 for another issuer's 780-character JWT; the body limit still bounds the token, a 257-character client_secret is refused", async () => {
      const jwt = foreignJwt(780);
      assert.equal(jwt.length, 780);
      const res = await revoke({ token: jwt }, clientBasic(pdf));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.text, '');
      assertError(
        await revoke({ token: 'x'.repeat(70 * 1024) }, clientBasic(pdf)),
        413,
        'request_too_large',
      );
      assertError(
        await revoke({ token: jwt, client_id: pdf.client_id, client_secret: 'x'.repeat(257) }),
        400,
        'invalid_request',
      );
    });

    it("answers 200 for another client's token and changes nothing", async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      for (const raw of [issued.access_token, issued.refresh_token ?? '']) {
        const res = await revoke({ token: raw }, clientBasic(stats));
        assert.equal(res.status, 200);
        assert.equal(res.text, '');
        assert.equal((await tokenRow(raw)).revokedAt, null);
      }
      assertIssued(await refresh(pdf, issued.refresh_token ?? ''), {
        refresh: true,
        expiresIn: DAY,
      });
    });

    it('400 invalid_request without token', async () => {
      assertError(await revoke({}, clientBasic(pdf)), 400, 'invalid_request');
    });

    it('401 invalid_client for bad client authentication, and revokes nothing', async () => {
      const issued = await authorizeAndExchange(t, { session, client: pdf });
      const basic = await revoke(
        { token: issued.access_token },
        basicAuth(pdf.client_id, 'tvs_wrong'),
      );
      assertError(basic, 401, 'invalid_client');
      assert.equal(basic.headers['www-authenticate'], 'Basic realm="tokenvakt"');
      assertError(await revoke({ token: issued.access_token }), 401, 'invalid_client');
      assertError(
        await revoke({
          token: issued.access_token,
          client_id: pdf.client_id,
          client_secret: 'tvs_wrong',
        }),
        401,
        'invalid_client',
      );
      assert.equal((await tokenRow(issued.access_token)).revokedAt, null);
    });

    it('415 for a JSON body', async () => {
      const res = await t
        .http()
        .post('/oauth2/revoke')
        .set('Authorization', clientBasic(pdf))
        .send({ token: 'x' });
      assertError(res, 415, null);
    });
  });
});
