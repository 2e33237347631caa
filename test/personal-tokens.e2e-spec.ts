import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { AuthorizationCode } from '../src/authorization/authorization-code.entity';
import { Token } from '../src/tokens/token.entity';
import { expectOAuthError } from './support/assertions';
import {
  clientBasic,
  createClient,
  createUser,
  pkcePair,
  type TestClient,
  type TestUser,
} from './support/factories';
import { bearer, freshDatabaseUrl, startTestApp, type TestApp } from './support/test-app';

/**
 * Kalamar, unchanged (README: Security model, personal tokens; Choices where the spec is
 * silent, PKCE). Every request here is one Kalamar sends, as lib/Kalamar/Plugin/Auth.pm builds
 * it: under /api/v1.0/, with its fields, and with the user's session and X-Forwarded-For where
 * korap_request adds them; every check is on what Kalamar reads from the answer.
 */

/** Kalamar's own URL: the super client's registered redirect URI. */
const KALAMAR = 'https://korap.example/';
/** The browser behind Kalamar, as korap_request forwards it. */
const BROWSER_IP = '198.51.100.23';

/**
 * Kalamar's "Issue new token" page for a client, as `url_for->query({name => ...})->to_abs`
 * builds the redirect_uri of POST /settings/oauth/:client_id/token.
 */
const tokenPage = (clientId: string, name = 'My+token'): string =>
  `${KALAMAR}settings/oauth/${clientId}/token?name=${name}`;

/** A query string as Mojo::Parameters writes it: percent-escaped, a space as `+`. */
function mojoQuery(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${encodeURIComponent(value).replace(/%20/g, '+')}`)
    .join('&');
}

interface ListEntry {
  token: string;
  token_type: string;
  client_id: string;
  expires_in: number;
  scope: string[];
  token_revealed: boolean;
}

/** Kalamar's helpers and routes, each sending exactly what Kalamar sends. */
class Kalamar {
  constructor(
    private readonly t: TestApp,
    readonly superClient: TestClient,
  ) {}

  /** POST /user/login: the password grant with Kalamar's credentials in the form. */
  async login(user: TestUser): Promise<string> {
    const res = await this.t
      .http()
      .post('/api/v1.0/oauth2/token')
      .set('X-Forwarded-For', BROWSER_IP)
      .type('form')
      .send({
        grant_type: 'password',
        username: user.username,
        password: user.password,
        client_id: this.superClient.client_id,
        client_secret: this.superClient.client_secret ?? '',
      });
    assert.equal(res.status, 200, res.text);
    return res.body.access_token as string;
  }

  /** POST /settings/oauth/register: JSON; empty url and redirect_uri fields go as null. */
  async registerClient(
    session: string,
    type: 'PUBLIC' | 'CONFIDENTIAL',
    redirectUri: string | null = null,
  ): Promise<{ client_id: string; client_secret?: string }> {
    const res = await this.t
      .http()
      .post('/api/v1.0/oauth2/client/register')
      .set('Authorization', bearer(session))
      .set('X-Forwarded-For', BROWSER_IP)
      .send({
        name: `My ${type.toLowerCase()} client`,
        type,
        description: 'Scripts for my corpus queries',
        url: null,
        redirect_uri: redirectUri,
      });
    assert.equal(res.status, 200, res.text);
    return res.body as { client_id: string; client_secret?: string };
  }

  /** auth.new_token_p: GET oauth2/authorize through a user agent that follows no redirects. */
  authorize(
    session: string | { basic: string },
    fields: Record<string, string>,
  ): Promise<Response> {
    return this.t
      .http()
      .get(`/api/v1.0/oauth2/authorize?${mojoQuery({ response_type: 'code', ...fields })}`)
      .set('Authorization', typeof session === 'string' ? bearer(session) : session.basic)
      .set('X-Forwarded-For', BROWSER_IP)
      .redirects(0);
  }

  /**
   * auth.new_token_p of Kalamar up to 0.64: POST oauth2/authorize with a form of all five
   * fields, in Mojo's order (sorted), an undefined one written as empty by Mojo::Parameters.
   */
  authorizeByPost(session: string, fields: Record<string, string>): Promise<Response> {
    const form = { response_type: 'code', redirect_uri: '', state: '', scope: '', ...fields };
    const sorted = Object.fromEntries(Object.entries(form).sort(([a], [b]) => a.localeCompare(b)));
    return this.t
      .http()
      .post('/api/v1.0/oauth2/authorize')
      .set('Authorization', bearer(session))
      .set('X-Forwarded-For', BROWSER_IP)
      .type('form')
      .send(mojoQuery(sorted))
      .redirects(0);
  }

  /** "Issue new token": new_token_p for the client's token page, scope `search match_info`. */
  issueNewToken(session: string, clientId: string, redirectUri = tokenPage(clientId)) {
    return this.authorize(session, {
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'search match_info',
    });
  }

  /**
   * The code exchange of POST /settings/oauth/:client_id/token, through kalamar_ua: no
   * X-Forwarded-For, no Authorization, no client secret.
   */
  exchange(clientId: string, code: string, redirectUri: string): Promise<Response> {
    return this.t.http().post('/api/v1.0/oauth2/token').type('form').send({
      client_id: clientId,
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
    });
  }

  /** auth.token_list_p(client_id), rendered by auth/client.html.ep. */
  async tokenList(session: string, clientId: string): Promise<ListEntry[]> {
    const res = await this.t
      .http()
      .post('/api/v1.0/oauth2/token/list')
      .set('Authorization', bearer(session))
      .set('X-Forwarded-For', BROWSER_IP)
      .type('form')
      .send({
        super_client_id: this.superClient.client_id,
        super_client_secret: this.superClient.client_secret ?? '',
        token_type: 'access_token',
        client_id: clientId,
      });
    assert.equal(res.status, 200, res.text);
    return res.body as ListEntry[];
  }

  /** DELETE /settings/oauth/:client_id/token: revoke/super with the token field of the page. */
  revoke(session: string, token: string): Promise<Response> {
    return this.t
      .http()
      .post('/api/v1.0/oauth2/revoke/super')
      .set('Authorization', bearer(session))
      .set('X-Forwarded-For', BROWSER_IP)
      .type('form')
      .send({
        super_client_id: this.superClient.client_id,
        super_client_secret: this.superClient.client_secret ?? '',
        token,
      });
  }

  /** The whole of "Issue new token": the code from Location, redeemed; the answer is discarded. */
  async issuePersonalToken(session: string, clientId: string): Promise<void> {
    const code = codeFrom(await this.issueNewToken(session, clientId));
    const res = await this.exchange(clientId, code, tokenPage(clientId));
    assert.equal(res.status, 200, res.text);
  }
}

/** What new_token_p reads: the `code` parameter of the Location of a 302. */
function codeFrom(res: Response): string {
  assert.equal(res.status, 302, res.text);
  const code = new URL(res.headers.location as string).searchParams.get('code');
  assert.ok(code, `no code in ${res.headers.location as string}`);
  return code;
}

/** A refusal answered directly: no redirect, so no code travels anywhere. */
function expectDirectRefusal(res: Response): void {
  expectOAuthError(res, 400, 'invalid_request');
  assert.equal(res.headers.location, undefined);
}

const sha256 = (raw: string): string => createHash('sha256').update(raw).digest('hex');

/** A super client registered by the operator with Kalamar's origin as its redirect URI. */
function kalamarSuperClient(t: TestApp, redirectUri = KALAMAR): Promise<TestClient> {
  return createClient(t, { name: 'Kalamar', isSuper: true, redirectUri });
}

describe('Personal tokens: Kalamar\'s "Issue new token", unchanged', () => {
  let t: TestApp;
  let kalamar: Kalamar;
  let alice: string;
  let bob: string;
  let aliceUser: TestUser;
  let resourceServer: TestClient;

  before(async () => {
    t = await startTestApp();
    kalamar = new Kalamar(t, await kalamarSuperClient(t));
    aliceUser = await createUser(t);
    alice = await kalamar.login(aliceUser);
    bob = await kalamar.login(await createUser(t));
    resourceServer = await createClient(t, { name: 'Krill', mayIntrospect: true });
  });
  after(() => t.close());

  const codesOf = (clientId: string) =>
    t.dataSource.getRepository(AuthorizationCode).countBy({ clientId });
  const introspect = (token: string) =>
    t
      .http()
      .post('/api/v1.0/oauth2/introspect')
      .set('Authorization', clientBasic(resourceServer))
      .type('form')
      .send({ token });

  it('shows the new token in full once, then its handle; revoking what the page showed works', async () => {
    const { client_id: clientId } = await kalamar.registerClient(alice, 'PUBLIC');

    const authorized = await kalamar.issueNewToken(alice, clientId);
    const code = codeFrom(authorized);
    const location = new URL(authorized.headers.location as string);
    assert.equal(
      `${location.origin}${location.pathname}`,
      `${KALAMAR}settings/oauth/${clientId}/token`,
    );
    assert.equal(location.searchParams.get('name'), 'My token');
    const exchanged = await kalamar.exchange(clientId, code, tokenPage(clientId));
    assert.equal(exchanged.status, 200, exchanged.text);
    assert.equal(exchanged.body.refresh_token, undefined);

    const [first, ...more] = await kalamar.tokenList(alice, clientId);
    assert.ok(first);
    assert.equal(more.length, 0);
    assert.equal(first.token_revealed, true);
    assert.equal(first.client_id, clientId);
    assert.deepEqual(first.scope, ['match_info', 'search']);
    // It is the token: its digest is the one stored, and a resource server accepts it.
    assert.equal(first.token, exchanged.body.access_token);
    const row = await t.dataSource.getRepository(Token).findOneByOrFail({ clientId });
    assert.equal(row.digest, sha256(first.token));
    const active = await introspect(first.token);
    assert.equal(active.body.active, true, active.text);
    assert.equal(active.body.username, aliceUser.username);
    assert.equal(active.body.client_id, clientId);

    const again = await kalamar.tokenList(alice, clientId);
    assert.deepEqual(
      again.map((e) => [e.token, e.token_revealed]),
      [[row.handle, false]],
    );

    // Kalamar's revoke form posts the token field the page rendered: the token itself.
    const revoked = await kalamar.revoke(alice, first.token);
    assert.equal(revoked.status, 200, revoked.text);
    assert.deepEqual(await kalamar.tokenList(alice, clientId), []);
    assert.equal((await introspect(first.token)).body.active, false);
  });

  it('works the same for Kalamar up to 0.64, which authorizes by POST: the code at the token page (303), the token shown once', async () => {
    const { client_id: clientId } = await kalamar.registerClient(alice, 'PUBLIC');
    const authorized = await kalamar.authorizeByPost(alice, {
      client_id: clientId,
      redirect_uri: tokenPage(clientId),
      scope: 'search match_info',
      state: 'kalamar-state',
    });
    assert.equal(authorized.status, 303, authorized.text);
    const location = new URL(authorized.headers.location as string);
    assert.equal(
      `${location.origin}${location.pathname}`,
      `${KALAMAR}settings/oauth/${clientId}/token`,
    );
    assert.equal(location.searchParams.get('name'), 'My token');
    assert.equal(location.searchParams.get('state'), 'kalamar-state');
    const code = location.searchParams.get('code') ?? assert.fail('no code');
    const exchanged = await kalamar.exchange(clientId, code, tokenPage(clientId));
    assert.equal(exchanged.status, 200, exchanged.text);
    const [first] = await kalamar.tokenList(alice, clientId);
    assert.equal(first?.token_revealed, true);
    assert.equal(first?.token, exchanged.body.access_token);
    // Another user's client at Kalamar's URL is refused directly, as by GET.
    const { client_id: bobs } = await kalamar.registerClient(bob, 'PUBLIC');
    const refused = await kalamar.authorizeByPost(alice, {
      client_id: bobs,
      redirect_uri: tokenPage(bobs),
      scope: 'search',
    });
    expectDirectRefusal(refused);
  });

  it("refuses another user's client at Kalamar's URL directly: no redirect, no code", async () => {
    const withoutUri = await kalamar.registerClient(bob, 'PUBLIC');
    const withUri = await kalamar.registerClient(bob, 'PUBLIC', 'https://bob.example/cb');
    for (const { client_id: clientId } of [withoutUri, withUri]) {
      expectDirectRefusal(await kalamar.issueNewToken(alice, clientId));
      assert.equal(await codesOf(clientId), 0);
    }
    // Control: for bob himself the same request is his own page.
    codeFrom(await kalamar.issueNewToken(bob, withoutUri.client_id));
  });

  it('refuses a redirect_uri outside the super client’s prefix, and Basic user authentication', async () => {
    const { client_id: clientId } = await kalamar.registerClient(alice, 'PUBLIC');
    const path = `/settings/oauth/${clientId}/token?name=x`;
    for (const outside of [
      `https://evil.example${path}`,
      `https://korap.example:8443${path}`,
      `http://korap.example${path}`,
      `https://korap.example.evil.example${path}`,
      `https://user@korap.example${path}`,
      `https://korap.example${path}#fragment`,
    ]) {
      expectDirectRefusal(await kalamar.issueNewToken(alice, clientId, outside));
    }
    // Basic names no super client: the ordinary rules apply.
    expectDirectRefusal(
      await kalamar.authorize(aliceUser, {
        client_id: clientId,
        redirect_uri: tokenPage(clientId),
        scope: 'search match_info',
      }),
    );
    assert.equal(await codesOf(clientId), 0);
    // Control: the same client at Kalamar's own URL.
    codeFrom(await kalamar.issueNewToken(alice, clientId));
  });

  it('matches a registered path without a trailing slash segment-wise (/settings, not /settingsX)', async () => {
    const settings = new Kalamar(t, await kalamarSuperClient(t, 'https://korap.example/settings'));
    const session = await settings.login(aliceUser);
    const { client_id: clientId } = await settings.registerClient(session, 'PUBLIC');
    expectDirectRefusal(
      await settings.issueNewToken(
        session,
        clientId,
        `https://korap.example/settingsX/oauth/${clientId}/token`,
      ),
    );
    expectDirectRefusal(
      await settings.issueNewToken(
        session,
        clientId,
        `https://korap.example/settings/../admin?x=1`,
      ),
    );
    assert.equal(await codesOf(clientId), 0);
    await settings.issuePersonalToken(session, clientId);
    assert.equal((await settings.tokenList(session, clientId))[0]?.token_revealed, true);
  });

  it('refuses an exchange that presents another redirect_uri, or none', async () => {
    const { client_id: clientId } = await kalamar.registerClient(alice, 'PUBLIC');
    const code = codeFrom(await kalamar.issueNewToken(alice, clientId));
    expectOAuthError(
      await kalamar.exchange(clientId, code, tokenPage(clientId, 'Other')),
      400,
      'invalid_grant',
    );
    const withoutUri = await t.http().post('/api/v1.0/oauth2/token').type('form').send({
      client_id: clientId,
      grant_type: 'authorization_code',
      code,
    });
    expectOAuthError(withoutUri, 400, 'invalid_grant');
    assert.deepEqual(await kalamar.tokenList(alice, clientId), []);
    // A refused exchange spends the code (README: Security model): the right redirect_uri
    // after a wrong one is refused too.
    expectOAuthError(
      await kalamar.exchange(clientId, code, tokenPage(clientId)),
      400,
      'invalid_grant',
    );
    // Control: a fresh code is good for the redirect_uri it was issued to.
    const fresh = codeFrom(await kalamar.issueNewToken(alice, clientId));
    const exchanged = await kalamar.exchange(clientId, fresh, tokenPage(clientId));
    assert.equal(exchanged.status, 200, exchanged.text);
  });

  it('gives a confidential client of the user its code at Kalamar’s URL, but reveals nothing', async () => {
    const client = await kalamar.registerClient(alice, 'CONFIDENTIAL');
    const code = codeFrom(await kalamar.issueNewToken(alice, client.client_id));
    // Kalamar's exchange sends no secret: a confidential client must authenticate.
    expectOAuthError(
      await kalamar.exchange(client.client_id, code, tokenPage(client.client_id)),
      401,
      'invalid_client',
    );
    // That refusal spent the code (README: Security model); the client starts over.
    const fresh = codeFrom(await kalamar.issueNewToken(alice, client.client_id));
    const exchanged = await t
      .http()
      .post('/api/v1.0/oauth2/token')
      .type('form')
      .send({
        client_id: client.client_id,
        client_secret: client.client_secret,
        grant_type: 'authorization_code',
        code: fresh,
        redirect_uri: tokenPage(client.client_id),
      });
    assert.equal(exchanged.status, 200, exchanged.text);
    const [entry] = await kalamar.tokenList(alice, client.client_id);
    assert.equal(entry?.token_revealed, false);
    assert.notEqual(entry?.token, exchanged.body.access_token);
  });

  it('reveals a token to one of two concurrent lists only', async () => {
    const { client_id: clientId } = await kalamar.registerClient(alice, 'PUBLIC');
    await kalamar.issuePersonalToken(alice, clientId);
    const lists = await Promise.all(
      Array.from({ length: 6 }, () => kalamar.tokenList(alice, clientId)),
    );
    const shown = lists.flat();
    assert.equal(shown.length, 6);
    assert.equal(shown.filter((e) => e.token_revealed).length, 1);
    assert.match(shown.find((e) => e.token_revealed)?.token ?? '', /^tva_/);
  });

  it('reveals only to the super client and the user it was issued for', async () => {
    const { client_id: clientId } = await kalamar.registerClient(alice, 'PUBLIC');
    await kalamar.issuePersonalToken(alice, clientId);
    // Another super client listing alice's tokens sees the handle, and leaves the token waiting.
    const other = new Kalamar(t, await kalamarSuperClient(t));
    const seenByOther = await other.tokenList(await other.login(aliceUser), clientId);
    assert.equal(seenByOther[0]?.token_revealed, false);
    assert.equal((await kalamar.tokenList(alice, clientId))[0]?.token_revealed, true);
  });
});

describe('Personal tokens: the reveal window (PERSONAL_TOKEN_REVEAL_WINDOW=2s)', () => {
  let t: TestApp;
  let kalamar: Kalamar;
  let alice: string;

  before(async () => {
    t = await startTestApp({ PERSONAL_TOKEN_REVEAL_WINDOW: '2s' });
    kalamar = new Kalamar(t, await kalamarSuperClient(t));
    alice = await kalamar.login(await createUser(t));
  });
  after(() => t.close());

  it('shows a token not listed within the window by its handle only', async () => {
    const { client_id: clientId } = await kalamar.registerClient(alice, 'PUBLIC');
    await kalamar.issuePersonalToken(alice, clientId);
    await sleep(2100);
    await kalamar.issuePersonalToken(alice, clientId);
    const [late, fresh] = await kalamar.tokenList(alice, clientId);
    assert.equal(late?.token_revealed, false);
    assert.doesNotMatch(late?.token ?? '', /^tva_/);
    assert.equal(fresh?.token_revealed, true);
    assert.match(fresh?.token ?? '', /^tva_/);
  });
});

describe('Personal tokens across instances (REDIS_URL)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let sqliteDir: string | undefined;
  let a: TestApp;
  let b: TestApp;

  before(async () => {
    database = await freshDatabaseUrl();
    let url = database.url;
    // Two apps cannot share an in-memory SQLite database; give them one file.
    if (url === 'sqlite::memory:') {
      sqliteDir = mkdtempSync(join(tmpdir(), 'tokenvakt-reveal-'));
      url = `sqlite:${join(sqliteDir, 'db.sqlite')}`;
    }
    // Super client ids are random: entries of other runs in this Redis never collide.
    const env = { DATABASE_URL: url, REDIS_URL: 'redis://127.0.0.1:6379' };
    a = await startTestApp(env);
    b = await startTestApp(env);
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await database?.drop();
    if (sqliteDir !== undefined) rmSync(sqliteDir, { recursive: true, force: true });
  });

  it('reveals on instance B a token issued through instance A, once', async () => {
    const superClient = await kalamarSuperClient(a);
    const onA = new Kalamar(a, superClient);
    const onB = new Kalamar(b, superClient);
    const alice = await onA.login(await createUser(a));
    const { client_id: clientId } = await onA.registerClient(alice, 'PUBLIC');
    await onA.issuePersonalToken(alice, clientId);

    const [revealed] = await onB.tokenList(alice, clientId);
    assert.equal(revealed?.token_revealed, true);
    assert.match(revealed?.token ?? '', /^tva_/);
    const [later] = await onA.tokenList(alice, clientId);
    assert.equal(later?.token_revealed, false);
  });
});

describe('PKCE_REQUIRED: third-party clients authorizing through Kalamar', () => {
  /**
   * POST /settings/oauth/authorize: Kalamar forwards client_id, scope, state and redirect_uri
   * of a third party's request, and nothing else: no PKCE.
   */
  async function setUp(env: Record<string, string>) {
    const t = await startTestApp(env);
    const kalamar = new Kalamar(t, await kalamarSuperClient(t));
    const alice = await kalamar.login(await createUser(t));
    const app = await createClient(t, { type: 'PUBLIC', name: 'Third-party app' });
    const forward = (client: TestClient, extra: Record<string, string> = {}) =>
      kalamar.authorize(alice, {
        client_id: client.client_id,
        redirect_uri: client.redirect_uri ?? '',
        state: 'kalamar-state',
        scope: 'search',
        ...extra,
      });
    /** The third party redeems the code at its own redirect URI, as Kustvakt allows. */
    const redeem = (client: TestClient, code: string, extra: Record<string, string> = {}) =>
      t
        .http()
        .post('/api/v1.0/oauth2/token')
        .type('form')
        .send({
          client_id: client.client_id,
          grant_type: 'authorization_code',
          code,
          redirect_uri: client.redirect_uri,
          ...extra,
        });
    return { t, kalamar, alice, app, forward, redeem };
  }

  /** An error redirected to the client (RFC 6749 §4.1.2.1), as Kalamar passes it on. */
  function redirectedError(res: Response, client: TestClient, error: string): void {
    assert.equal(res.status, 302, res.text);
    const location = new URL(res.headers.location as string);
    assert.ok(location.href.startsWith(client.redirect_uri ?? '-'), location.href);
    assert.equal(location.searchParams.get('error'), error);
    assert.equal(location.searchParams.get('code'), null);
  }

  it('public (the default): a public client without PKCE gets an error, as before', async () => {
    const { t, app, forward } = await setUp({});
    try {
      redirectedError(await forward(app), app, 'invalid_request');
    } finally {
      await t.close();
    }
  });

  it('none: a public client without PKCE gets a code and redeems it; no token is revealed', async () => {
    const { t, kalamar, alice, app, forward, redeem } = await setUp({ PKCE_REQUIRED: 'none' });
    try {
      const authorized = await forward(app);
      const location = new URL(authorized.headers.location as string);
      assert.equal(location.searchParams.get('state'), 'kalamar-state');
      const redeemed = await redeem(app, codeFrom(authorized));
      assert.equal(redeemed.status, 200, redeemed.text);
      assert.match(redeemed.body.access_token as string, /^tva_/);
      const [entry] = await kalamar.tokenList(alice, app.client_id);
      assert.equal(entry?.token_revealed, false);
    } finally {
      await t.close();
    }
  });

  it("none, Kalamar up to 0.64 (POST): a third party's request is forwarded the same way, its code at its redirect URI", async () => {
    const { t, kalamar, alice, app, redeem } = await setUp({ PKCE_REQUIRED: 'none' });
    try {
      const authorized = await kalamar.authorizeByPost(alice, {
        client_id: app.client_id,
        redirect_uri: app.redirect_uri ?? '',
        state: 'kalamar-state',
        scope: 'search',
      });
      assert.equal(authorized.status, 303, authorized.text);
      const location = new URL(authorized.headers.location as string);
      assert.ok(location.href.startsWith(app.redirect_uri ?? '-'), location.href);
      assert.equal(location.searchParams.get('state'), 'kalamar-state');
      const code = location.searchParams.get('code') ?? assert.fail('no code');
      assert.equal((await redeem(app, code)).status, 200);
    } finally {
      await t.close();
    }
  });

  it('none, Kalamar up to 0.64 (POST): a request without redirect_uri, which Mojo sends as an empty field, gets its code at the registered URI', async () => {
    const { t, kalamar, alice, app } = await setUp({ PKCE_REQUIRED: 'none' });
    try {
      const authorized = await kalamar.authorizeByPost(alice, {
        client_id: app.client_id,
        state: 'kalamar-state',
        scope: 'search',
      });
      assert.equal(authorized.status, 303, authorized.text);
      const location = new URL(authorized.headers.location as string);
      assert.ok(location.href.startsWith(app.redirect_uri ?? '-'), location.href);
      assert.ok(location.searchParams.get('code'));
    } finally {
      await t.close();
    }
  });

  it('none: a code_challenge that is sent is still enforced, and plain is refused', async () => {
    const { t, app, forward, redeem } = await setUp({ PKCE_REQUIRED: 'none' });
    try {
      const pkce = pkcePair();
      const challenged = { code_challenge: pkce.challenge, code_challenge_method: 'S256' };
      const code = codeFrom(await forward(app, challenged));
      expectOAuthError(await redeem(app, code), 400, 'invalid_grant');
      expectOAuthError(
        await redeem(app, code, { code_verifier: pkcePair().verifier }),
        400,
        'invalid_grant',
      );
      const ok = await redeem(app, codeFrom(await forward(app, challenged)), {
        code_verifier: pkce.verifier,
      });
      assert.equal(ok.status, 200, ok.text);
      redirectedError(
        await forward(app, { code_challenge: pkce.verifier, code_challenge_method: 'plain' }),
        app,
        'invalid_request',
      );
    } finally {
      await t.close();
    }
  });

  it('all: a confidential client must use PKCE too; Kalamar’s own page still needs none', async () => {
    const { t, kalamar, alice, forward } = await setUp({ PKCE_REQUIRED: 'all' });
    try {
      const confidential = await createClient(t, { name: 'Confidential app' });
      redirectedError(await forward(confidential), confidential, 'invalid_request');
      const pkce = pkcePair();
      const code = codeFrom(
        await forward(confidential, {
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
        }),
      );
      const redeemed = await t
        .http()
        .post('/api/v1.0/oauth2/token')
        .set('Authorization', clientBasic(confidential))
        .type('form')
        .send({
          grant_type: 'authorization_code',
          code,
          code_verifier: pkce.verifier,
          redirect_uri: confidential.redirect_uri,
        });
      assert.equal(redeemed.status, 200, redeemed.text);

      const { client_id: own } = await kalamar.registerClient(alice, 'PUBLIC');
      await kalamar.issuePersonalToken(alice, own);
      assert.equal((await kalamar.tokenList(alice, own))[0]?.token_revealed, true);
    } finally {
      await t.close();
    }
  });
});
