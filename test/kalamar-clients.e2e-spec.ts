import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { digestSecret } from '../src/auth/secrets';
import { Client } from '../src/clients/client.entity';
import { Token } from '../src/tokens/token.entity';
import {
  createClient,
  createSuperClient,
  createUser,
  login,
  type TestClient,
  type TestUser,
  type TokenResponse,
} from './support/factories';
import { basicAuth, startTestApp, type TestApp } from './support/test-app';
import { expectOAuthError } from './support/assertions';

/**
 * KorAP's Kalamar, unchanged, against tokenvakt (README: Client registration and info): each
 * request is the one lib/Kalamar/Plugin/Auth.pm sends, through `korap_request` (under
 * `/api/v1.0/`, the browser's address in X-Forwarded-For, `Authorization: <token_type>
 * <access_token>` only when the user is logged in), and each test checks what Kalamar reads
 * from the answer.
 */

const BROWSER_IP = '198.51.100.23';

/** A Kalamar plugin description, as a user uploads it on the OAuth settings page. */
const PLUGIN_SOURCE = {
  name: 'Export',
  desc: 'Exportiert Treffer – als CSV ✓',
  embed: [
    {
      panel: 'match',
      title: 'Export',
      icon: '\uf019',
      classes: ['button-icon', 'plugin'],
      onClick: { action: 'addWidget', template: 'https://export.example/plugin.html' },
    },
  ],
  permissions: ['scripts', 'forms'],
  version: 1.5,
  enabled: true,
  homepage: null,
};

/** What anyone the super client asks for sees of a client without a source. */
const PUBLIC_KEYS = [
  'client_description',
  'client_id',
  'client_name',
  'client_redirect_uri',
  'client_type',
  'client_url',
  'permitted',
  'super',
];

interface ClientInfo {
  client_id: string;
  client_name: string;
  client_type: string;
  client_description: string | null;
  client_url: string | null;
  client_redirect_uri: string | null;
  source?: Record<string, unknown>;
  super: boolean;
  permitted: boolean;
  registration_date?: string;
  refresh_token_expiry?: number | null;
}

describe('Kalamar, unchanged: client info and registration (README: Client registration and info)', () => {
  let t: TestApp;
  /** Kalamar's own client: `client_id`/`client_secret` in its configuration. */
  let kalamar: TestClient;
  let alice: TestUser;
  let bob: TestUser;
  let aliceSession: string;
  let bobSession: string;
  /** Registered by alice through Kalamar: a web application and a plugin. */
  let webApp: { client_id: string; client_secret?: string };
  let plugin: { client_id: string; client_secret?: string };

  /** Kalamar's `auth` session value: `$token_type . ' ' . $access_token`. */
  const sessionOf = (tokens: TokenResponse): string =>
    `${tokens.token_type} ${tokens.access_token}`;

  /** `korap_request('POST', <api>/<path>)`, with the user's session when logged in. */
  const korapRequest = (path: string, auth?: string) => {
    const req = t.http().post(`/api/v1.0/${path}`).set('X-Forwarded-For', BROWSER_IP);
    if (auth !== undefined) req.set('Authorization', auth);
    return req;
  };

  const superForm = (client: TestClient = kalamar) => ({
    super_client_id: client.client_id,
    super_client_secret: client.client_secret ?? '',
  });

  /** `auth.client_info_p($client_id)`: the consent page, logged out (no auth) or in. */
  const clientInfoP = (
    clientId: string,
    auth?: string,
    form: Record<string, string> = superForm(),
  ) => korapRequest(`oauth2/client/${clientId}`, auth).type('form').send(form);

  /**
   * `auth.client_list_p`: the OAuth settings pages. Kalamar sends `authorized_only => 'no'`
   * and no filter_by: on v1.0, the clients the user registered.
   */
  const clientListP = (auth: string) =>
    korapRequest('oauth2/client/list', auth)
      .type('form')
      .send({ ...superForm(), authorized_only: 'no' });

  /** `POST /settings/oauth/register`: `korap_request(POST, … json => $json_obj)`. */
  const registerAsKalamar = (auth: string, json: Record<string, unknown>) =>
    korapRequest('oauth2/client/register', auth).send(json);

  /** The JSON body Kalamar builds from its registration form. */
  const kalamarForm = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name: 'Export plugin',
    type: 'CONFIDENTIAL',
    description: 'Exports matches.',
    url: 'https://export.example/',
    redirect_uri: 'https://export.example/callback',
    ...extra,
  });

  /** The same, with `source` written as given (JSON that JSON.stringify would write otherwise). */
  const registerRawSource = (auth: string, sourceText: string) =>
    korapRequest('oauth2/client/register', auth)
      .type('json')
      .send(`${JSON.stringify(kalamarForm()).slice(0, -1)},"source":${sourceText}}`);

  const registered = (res: Response): { client_id: string; client_secret?: string } => {
    assert.equal(res.status, 200, res.text);
    return res.body as { client_id: string; client_secret?: string };
  };

  const clientCount = () => t.dataSource.getRepository(Client).count();

  before(async () => {
    t = await startTestApp();
    kalamar = await createSuperClient(t);
    alice = await createUser(t);
    bob = await createUser(t);
    aliceSession = sessionOf(await login(t, kalamar, alice));
    bobSession = sessionOf(await login(t, kalamar, bob));
    webApp = registered(
      await registerAsKalamar(aliceSession, kalamarForm({ name: 'Web application' })),
    );
    plugin = registered(
      await registerAsKalamar(aliceSession, kalamarForm({ source: PLUGIN_SOURCE })),
    );
  });
  after(() => t.close());

  describe('client info for the consent page (GET /settings/oauth/authorize)', () => {
    it('logged out: the super-client form alone answers the public fields Kalamar shows, and nothing else', async () => {
      const res = await clientInfoP(webApp.client_id);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, {
        client_id: webApp.client_id,
        client_name: 'Web application',
        client_type: 'CONFIDENTIAL',
        client_description: 'Exports matches.',
        client_url: 'https://export.example/',
        client_redirect_uri: 'https://export.example/callback',
        super: false,
        permitted: true,
      });

      const pluginInfo = await clientInfoP(plugin.client_id);
      assert.equal(pluginInfo.status, 200, pluginInfo.text);
      assert.deepEqual(
        Object.keys(pluginInfo.body as object).sort(),
        [...PUBLIC_KEYS, 'source'].sort(),
      );
      assert.deepEqual((pluginInfo.body as ClientInfo).source, PLUGIN_SOURCE);

      // A client an operator created (no registrant) is shown alike.
      const operatorClient = await createClient(t, { name: 'Operator tool' });
      const operatorInfo = await clientInfoP(operatorClient.client_id);
      assert.equal(operatorInfo.status, 200, operatorInfo.text);
      assert.deepEqual(Object.keys(operatorInfo.body as object).sort(), PUBLIC_KEYS);
      assert.equal(
        (operatorInfo.body as ClientInfo).client_redirect_uri,
        operatorClient.redirect_uri,
      );
    });

    it('logged out: missing super-client fields 400, a wrong secret 401, a client that is not super 403, an unknown client 404', async () => {
      expectOAuthError(await clientInfoP(webApp.client_id, undefined, {}), 400, 'invalid_request');
      expectOAuthError(
        await clientInfoP(webApp.client_id, undefined, { super_client_id: kalamar.client_id }),
        400,
        'invalid_request',
      );
      const wrong = await clientInfoP(webApp.client_id, undefined, {
        ...superForm(),
        super_client_secret: 'tvs_wrong',
      });
      expectOAuthError(wrong, 401, 'invalid_client');
      expectOAuthError(
        await clientInfoP(plugin.client_id, undefined, superForm({ ...webApp, name: 'Web' })),
        403,
        'unauthorized_client',
      );
      // Kalamar shows the error_description and goes back to the start page.
      const unknown = await clientInfoP(`unknown-${randomBytes(4).toString('hex')}`);
      expectOAuthError(unknown, 404);
    });

    it('a bad Authorization header is 401 invalid_token with its challenge, never taken as anonymous', async () => {
      const revoked = await login(t, kalamar, bob);
      await t.dataSource
        .getRepository(Token)
        .update({ digest: digestSecret(revoked.access_token) }, { revokedAt: new Date() });
      for (const [auth, scheme, deadSession] of [
        [`Bearer tva_${randomBytes(32).toString('base64url')}`, 'Bearer', true],
        [sessionOf(revoked), 'Bearer', true],
        ['Bearer', 'Bearer', false],
        ['', 'Bearer', false],
        [basicAuth(bob.username, 'wrong password'), 'Basic', false],
      ] as const) {
        const res = await clientInfoP(webApp.client_id, auth);
        assert.equal(res.headers['www-authenticate'], `${scheme} realm="tokenvakt"`, auth);
        if (deadSession) {
          // On Kustvakt's paths a dead session also carries the `errors` Kalamar refreshes on.
          assert.equal(res.status, 401);
          assert.equal(res.body.error, 'invalid_token');
          assert.match(String(res.body.errors?.[0]?.[1]), /invalid/);
        } else {
          expectOAuthError(res, 401, 'invalid_token');
        }
      }
      // With a header, the user is checked first, as on every super-client service.
      const both = await clientInfoP(webApp.client_id, 'Bearer tva_unknown', {
        ...superForm(),
        super_client_secret: 'tvs_wrong',
      });
      assert.equal(both.status, 401);
      assert.equal(both.body.error, 'invalid_token');
    });

    it('logged in as another user: the redirect URI too, but neither registration date nor refresh expiry', async () => {
      for (const auth of [bobSession, bob.basic]) {
        const res = await clientInfoP(webApp.client_id, auth);
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body, (await clientInfoP(webApp.client_id)).body);
        assert.equal(
          (res.body as ClientInfo).client_redirect_uri,
          'https://export.example/callback',
        );
      }
    });

    it('logged in as the registrant: every field', async () => {
      const res = await clientInfoP(plugin.client_id, aliceSession);
      assert.equal(res.status, 200, res.text);
      const info = res.body as ClientInfo;
      assert.deepEqual(info, {
        client_id: plugin.client_id,
        client_name: 'Export plugin',
        client_type: 'CONFIDENTIAL',
        client_description: 'Exports matches.',
        client_url: 'https://export.example/',
        client_redirect_uri: 'https://export.example/callback',
        source: PLUGIN_SOURCE,
        // A plugin waits for an operator's permission (README: Plugins).
        super: false,
        permitted: false,
        registration_date: info.registration_date,
        refresh_token_expiry: 31_536_000,
      });
      assert.match(info.registration_date ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it("records the session's use when an authenticated call is answered, not when it is refused", async () => {
      const tokens = await login(t, kalamar, bob);
      const lastUsed = async () =>
        (
          await t.dataSource
            .getRepository(Token)
            .findOneByOrFail({ digest: digestSecret(tokens.access_token) })
        ).lastUsedAt;
      expectOAuthError(
        await clientInfoP(webApp.client_id, sessionOf(tokens), {
          ...superForm(),
          super_client_secret: 'tvs_wrong',
        }),
        401,
        'invalid_client',
      );
      assert.equal(await lastUsed(), null);
      assert.equal((await clientInfoP(webApp.client_id, sessionOf(tokens))).status, 200);
      assert.ok((await lastUsed()) instanceof Date);
    });
  });

  describe('registration (POST /settings/oauth/register) and the client page (GET /settings/oauth/:client_id)', () => {
    it('registers a plugin with a 255-character name and its source, which the client list and client info return as an object', async () => {
      const name = `Plugin ${'n'.repeat(248)}`;
      assert.equal(name.length, 255);
      const res = await registerAsKalamar(
        aliceSession,
        kalamarForm({ name, source: PLUGIN_SOURCE }),
      );
      const { client_id: clientId, client_secret: secret } = registered(res);
      // Kalamar shows both once, on the page after registration.
      assert.match(secret ?? '', /^tvs_/);

      const list = await clientListP(aliceSession);
      assert.equal(list.status, 200, list.text);
      const item = (list.body as ClientInfo[]).find((entry) => entry.client_id === clientId);
      assert.ok(item, 'the new plugin is in the owned_only list');
      assert.deepEqual(item, {
        client_id: clientId,
        client_name: name,
        client_type: 'CONFIDENTIAL',
        client_description: 'Exports matches.',
        client_url: 'https://export.example/',
        client_redirect_uri: 'https://export.example/callback',
        source: PLUGIN_SOURCE,
        super: false,
        permitted: false,
        registration_date: item.registration_date,
        refresh_token_expiry: 31_536_000,
      });
      const info = await clientInfoP(clientId);
      assert.equal((info.body as ClientInfo).client_name, name);
      assert.deepEqual((info.body as ClientInfo).source, PLUGIN_SOURCE);
      // A client registered without a source has none in the list.
      const web = (list.body as ClientInfo[]).find((e) => e.client_id === webApp.client_id);
      assert.equal(web !== undefined && 'source' in web, false);
    });

    it('refuses a name of 256 or 2 characters with 400 invalid_request, registering nothing', async () => {
      const before = await clientCount();
      for (const name of ['n'.repeat(256), 'ab', '  ab  ']) {
        expectOAuthError(
          await registerAsKalamar(aliceSession, kalamarForm({ name })),
          400,
          'invalid_request',
        );
      }
      assert.equal(await clientCount(), before);
    });

    it('refuses a source that is not a JSON object with 400 invalid_request, registering nothing', async () => {
      const before = await clientCount();
      for (const source of [
        [PLUGIN_SOURCE],
        [],
        'plugin.json',
        JSON.stringify(PLUGIN_SOURCE),
        42,
        true,
      ]) {
        const res = await registerAsKalamar(aliceSession, kalamarForm({ source }));
        const error = expectOAuthError(res, 400, 'invalid_request');
        assert.match(error.error_description, /source/, JSON.stringify(source));
      }
      assert.equal(await clientCount(), before);
    });

    it('keeps a source of up to 60000 bytes as JSON and refuses a longer one, also one that grows past it when serialised again', async () => {
      // {"data":"…"} is 11 bytes around the string.
      const exactly = { data: 'x'.repeat(60_000 - 11) };
      const kept = registered(
        await registerAsKalamar(aliceSession, kalamarForm({ source: exactly })),
      );
      assert.deepEqual(((await clientInfoP(kept.client_id)).body as ClientInfo).source, exactly);

      // 41 KB as sent, but once `1e20` is written out: fewer than 60,000 characters, and more
      // than the 65,535 bytes of MySQL's TEXT column.
      const grownText = `{"d":"${'€'.repeat(10_000)}","n":[${Array(2200).fill('1e20').join(',')}]}`;
      const grown = JSON.stringify(JSON.parse(grownText));
      assert.ok(grown.length < 60_000 && Buffer.byteLength(grown) > 65_535);

      const before = await clientCount();
      for (const sourceText of [JSON.stringify({ data: 'x'.repeat(60_000 - 10) }), grownText]) {
        const res = await registerRawSource(aliceSession, sourceText);
        expectOAuthError(res, 400, 'invalid_request');
      }
      assert.equal(await clientCount(), before);
    });

    it('keeps a source exactly as sent, keys named like Object methods included; refuses with 400 one nested too deeply, or with a key the server would drop', async () => {
      const nested = (depth: number): object => {
        let value: object = { leaf: true };
        for (let level = 1; level < depth; level++) value = { level, child: value };
        return value;
      };
      const exact = {
        toString: 'kept',
        hasOwnProperty: 1,
        valueOf: [1, { __defineGetter__: null }],
        deep: nested(60),
      };
      const { client_id: clientId } = registered(
        await registerAsKalamar(aliceSession, kalamarForm({ name: 'Odd keys', source: exact })),
      );
      const item = ((await clientListP(aliceSession)).body as ClientInfo[]).find(
        (entry) => entry.client_id === clientId,
      );
      assert.deepEqual(item?.source, exact);

      const before = await clientCount();
      for (const [sourceText, refusal] of [
        [JSON.stringify(nested(100)), /nests more than 64 levels/],
        [`{"a":${'['.repeat(3000)}${']'.repeat(3000)}}`, /nests more than 64 levels/],
        // Nest's ValidationPipe deletes these keys anywhere (against prototype pollution).
        ['{"constructor":"a plugin"}', /"constructor" and "prototype"/],
        ['{"embed":[{"prototype":{}}]}', /"constructor" and "prototype"/],
        ['{"__proto__":{"admin":true}}', /not valid JSON/],
      ] as const) {
        const res = await registerRawSource(aliceSession, sourceText);
        assert.match(expectOAuthError(res, 400, 'invalid_request').error_description, refusal);
      }
      assert.equal(await clientCount(), before);
    });

    it('accepts url and redirect_uri as JSON null, as Kalamar sends fields left empty', async () => {
      // Kalamar's `$v->optional('url', 'trim', 'not_empty')` leaves an empty field undef: JSON null.
      const { client_id: clientId } = registered(
        await registerAsKalamar(
          aliceSession,
          kalamarForm({ name: 'Query script', type: 'PUBLIC', url: null, redirect_uri: null }),
        ),
      );
      const item = ((await clientListP(aliceSession)).body as ClientInfo[]).find(
        (entry) => entry.client_id === clientId,
      );
      assert.deepEqual(item, {
        client_id: clientId,
        client_name: 'Query script',
        client_type: 'PUBLIC',
        client_description: 'Exports matches.',
        client_url: null,
        client_redirect_uri: null,
        super: false,
        permitted: true,
        registration_date: item?.registration_date,
        refresh_token_expiry: null,
      });
    });
  });
});
