import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { digestSecret } from '../../src/auth/secrets';
import { InstalledPlugin } from '../../src/kustvakt/plugins/installed-plugin.entity';
import { Token } from '../../src/tokens/token.entity';
import { User } from '../../src/users/user.entity';
import { insertClientRow } from '../support/factories';
import { basicAuth } from '../support/test-app';
import {
  KUSTVAKT,
  locationParams,
  startKustvaktWorld,
  type KustvaktWorld,
} from './kustvakt-fixture';

/** Kustvakt's StatusCodes that OAuth2PluginTest asserts. */
const StatusCodes = {
  MISSING_PARAMETER: 105,
  INVALID_ARGUMENT: 107,
  NO_RESOURCE_FOUND: 114,
  PLUGIN_NOT_PERMITTED: 1850,
  PLUGIN_HAS_BEEN_INSTALLED: 1851,
  INVALID_ACCESS_TOKEN: 2011,
} as const;

type Json = Record<string, unknown>;

/** Kustvakt's JsonNode.at("/errors/0/<i>"). */
function errorsAt(res: Response, i: 0 | 1): unknown {
  const errors = (res.body as { errors?: unknown[][] }).errors;
  return errors?.[0]?.[i];
}

/**
 * Kustvakt's OAuth2PluginTest (KorAP/Kustvakt, src/test/java/.../oauth2/OAuth2PluginTest.java),
 * against tokenvakt in Kustvakt's test world (kustvakt-fixture.ts). One world for the class, as
 * the Java tests share one database and clean up after themselves.
 */
describe('OAuth2PluginTest (Kustvakt)', () => {
  const {
    API_VERSION,
    publicClientId,
    publicClientId2,
    confidentialClientId,
    confidentialClientId2,
    superClientId,
    clientSecret,
  } = KUSTVAKT;
  const username = 'plugin-user';
  let w: KustvaktWorld;
  /** A resource server, standing in for Kustvakt's search (which checks the bearer token). */
  let resourceServer: string;

  before(async () => {
    w = await startKustvaktWorld();
    resourceServer = await insertClientRow(w.t, {
      id: 'pluginTestResourceServer',
      type: 'CONFIDENTIAL',
      secretDigest: digestSecret(clientSecret),
      mayIntrospect: true,
    });
  });
  after(() => w.close());

  const form = (path: string, auth: string, body: Json): Promise<Response> =>
    w.t
      .http()
      .post(w.api(path, API_VERSION))
      .set('Authorization', auth)
      .type('form')
      .send(body)
      .then((res) => res);

  const userAuth = (name = username): Promise<string> => w.userBasic(name);

  const registerClient = async (name: string, json: Json): Promise<Response> =>
    w.t
      .http()
      .post(w.api('oauth2/client/register'))
      .set('Authorization', await userAuth(name))
      .set('X-Forwarded-For', KUSTVAKT.forwardedFor)
      .send(json);

  const listPlugins = async (permittedOnly: boolean): Promise<Json[]> => {
    const body: Json = w.superClientForm();
    if (permittedOnly) body.permitted_only = String(permittedOnly);
    const res = await form('plugins', await userAuth(), body);
    assert.equal(res.status, 200, res.text);
    return res.body as Json[];
  };

  const installPlugin = async (body: Json): Promise<Response> =>
    form('plugins/install', await userAuth(), body);

  const uninstallPlugin = async (clientId: string, name: string): Promise<Response> =>
    form('plugins/uninstall', await userAuth(name), {
      ...w.superClientForm(),
      client_id: clientId,
    });

  const retrieveUserInstalledPlugin = async (body: Json): Promise<Json[]> =>
    (await form('plugins/installed', await userAuth(), body)).body as Json[];

  const retrieveClientInfo = async (clientId: string, name: string): Promise<Json> => {
    const res = await form(`oauth2/client/${clientId}`, await userAuth(name), w.superClientForm());
    assert.equal(res.status, 200, res.text);
    return res.body as Json;
  };

  const listUserClients = async (name: string, filterBy: string): Promise<Json[]> => {
    const res = await form('oauth2/client/list', await userAuth(name), {
      ...w.superClientForm(),
      filter_by: filterBy,
    });
    assert.equal(res.status, 200, res.text);
    return res.body as Json[];
  };

  const deregisterClient = async (name: string, clientId: string): Promise<void> => {
    const res = await w.t
      .http()
      .delete(w.api(`oauth2/client/deregister/${clientId}`))
      .set('Authorization', await userAuth(name));
    assert.equal(res.status, 200, res.text);
  };

  /** pluginDao.retrieveInstalledPlugin: the row, read from the database. */
  const testRetrieveInstalledPlugin = async (
    superId: string,
    clientId: string,
    installedBy: string,
  ): Promise<void> => {
    const user = await w.t.dataSource
      .getRepository(User)
      .findOneByOrFail({ username: installedBy });
    const plugin = await w.t.dataSource
      .getRepository(InstalledPlugin)
      .findOneBy({ userId: user.id, superClientId: superId, clientId });
    assert.ok(plugin, 'the installation is stored');
    assert.equal(plugin.clientId, clientId);
    assert.equal(plugin.superClientId, superId);
    assert.equal(plugin.userId, user.id);
    assert.ok(plugin.installedAt instanceof Date);
  };

  const testInstallConfidentialPlugin = async (
    superId: string,
    clientId: string,
    installedBy: string,
  ): Promise<void> => {
    const res = await installPlugin({ ...w.superClientForm(), client_id: clientId });
    const node = res.body as Json;
    assert.equal(node.client_id, clientId);
    assert.equal(node.super_client_id, superId);
    for (const field of ['name', 'description', 'url', 'installed_date']) {
      assert.ok(field in node, field);
    }
    assert.equal(res.status, 200, res.text);
    await testRetrieveInstalledPlugin(superId, clientId, installedBy);
  };

  // --- testRegisterPlugin and its helpers

  const testRegisterMissingURL = async (name: string, json: Json): Promise<void> => {
    const res = await registerClient(name, json);
    assert.equal(errorsAt(res, 0), StatusCodes.MISSING_PARAMETER);
    assert.equal(errorsAt(res, 1), 'URL is required for plugins.');
  };

  const testInstallPluginNotPermitted = async (clientId: string): Promise<void> => {
    const res = await installPlugin({ ...w.superClientForm(), client_id: clientId });
    assert.equal(errorsAt(res, 0), StatusCodes.PLUGIN_NOT_PERMITTED);
    assert.equal(res.status, 400);
  };

  const testRetrievePluginInfo = async (clientId: string): Promise<void> => {
    const clientInfo = await retrieveClientInfo(clientId, 'other-user');
    assert.equal(clientInfo.client_id, clientId);
    assert.equal(clientInfo.client_name, 'Plugin');
    assert.equal(clientInfo.client_type, 'CONFIDENTIAL');
    assert.ok(clientInfo.client_description);
    assert.ok(clientInfo.source);
    assert.equal(clientInfo.permitted, false);
    assert.equal('registered_by' in clientInfo, false);
    assert.equal('registration_date' in clientInfo, false);
    assert.equal('refresh_token_expiry' in clientInfo, false);
  };

  const testListUserRegisteredPlugins = async (
    name: string,
    clientId: string,
    clientName: string,
    refreshTokenExpiry: number,
  ): Promise<void> => {
    const node = await listUserClients(name, 'owned_only');
    assert.equal(node.length, 1);
    const [entry] = node;
    assert.ok(entry);
    assert.equal(entry.client_id, clientId);
    assert.equal(entry.client_name, clientName);
    assert.equal(entry.client_type, 'CONFIDENTIAL');
    assert.equal(entry.permitted, false);
    assert.ok('registration_date' in entry);
    assert.ok('source' in entry);
    assert.equal(entry.refresh_token_expiry, refreshTokenExpiry);
  };

  it('testRegisterPlugin', async () => {
    const refreshTokenExpiry = 90 * 24 * 60 * 60; // TimeUtils.convertTimeToSeconds("90D")
    const clientName = 'Plugin';
    const json: Json = {
      name: clientName,
      type: 'CONFIDENTIAL',
      description: 'This is a plugin test client.',
      source: { plugin: 'source' },
      refresh_token_expiry: refreshTokenExpiry,
    };
    await testRegisterMissingURL(username, json);
    json.url = 'https://my.confidential.plugin.de';

    const res = await registerClient(username, json);
    assert.equal(res.status, 200, res.text);
    const clientId = (res.body as Json).client_id as string;
    assert.ok(clientId);
    assert.ok((res.body as Json).client_secret);
    await testInstallPluginNotPermitted(clientId);
    await testRetrievePluginInfo(clientId);
    assert.equal((await listPlugins(false)).length, 2);
    // permitted only
    assert.equal((await listPlugins(true)).length, 1);
    await testListUserRegisteredPlugins(username, clientId, clientName, refreshTokenExpiry);
    await deregisterClient(username, clientId);
  });

  it('testRegisterPublicPlugin', async () => {
    const res = await registerClient(username, {
      name: 'Public Plugin',
      type: 'PUBLIC',
      description: 'This is a public plugin.',
      source: { plugin: 'source' },
      url: 'https://my.public.plugin.de',
    });
    assert.equal(res.status, 400);
    assert.equal((res.body as Json).error, 'invalid_request');
    assert.ok((res.body as Json).error_description);
  });

  // --- the super client's and the user's authentication

  /** testListPluginsClientUnauthorized, with tokenvakt's status and code. */
  const listPluginsWith = async (body: Json): Promise<Response> =>
    form('plugins', await userAuth(), body);

  it('testListPluginsUnauthorizedPublic — differs: 400 invalid_request, super_client_secret is always required (a public client is never a super client)', async () => {
    const res = await listPluginsWith({ super_client_id: publicClientId });
    assert.equal(res.status, 400);
    assert.equal((res.body as Json).error, 'invalid_request');
    assert.equal((res.body as Json).error_description, 'Missing parameter: super_client_secret');
  });

  it('testListPluginsUnauthorizedConfidential — differs: 403 unauthorized_client, the client authenticated but is not a super client (401 is for failed authentication, RFC 9110 §15.5.2)', async () => {
    const res = await listPluginsWith({
      super_client_id: confidentialClientId2,
      super_client_secret: clientSecret,
    });
    assert.equal(res.status, 403);
    assert.equal((res.body as Json).error, 'unauthorized_client');
    assert.ok((res.body as Json).error_description);
  });

  it('testListPluginsMissingClientSecret', async () => {
    const res = await listPluginsWith({ super_client_id: confidentialClientId });
    assert.equal(res.status, 400);
    assert.equal((res.body as Json).error, 'invalid_request');
    assert.ok((res.body as Json).error_description);
  });

  it('testListPluginsUserUnauthorized', async () => {
    const res = await form('plugins', 'Bearer blahblah', w.superClientForm());
    assert.equal(res.status, 401);
    assert.equal(errorsAt(res, 0), StatusCodes.INVALID_ACCESS_TOKEN);
  });

  it('testListPluginsConcurrent', async () => {
    const auth = await userAuth();
    const lists = await Promise.all(
      [1, 2, 3].map(() => form('plugins', auth, w.superClientForm())),
    );
    for (const res of lists) {
      assert.equal(res.status, 200, res.text);
      assert.equal((res.body as Json[]).length, 1);
    }
  });

  it('testListAllPlugins', async () => {
    const node = await listPlugins(false);
    assert.equal(node.length, 1);
    const [entry] = node;
    assert.ok(entry);
    for (const field of [
      'client_id',
      'client_name',
      'client_description',
      'client_type',
      'permitted',
      'source',
    ]) {
      assert.ok(field in entry, field);
    }
    for (const field of ['registration_date', 'refresh_token_expiry', 'client_redirect_uri']) {
      assert.equal(field in entry, false, field);
    }
  });

  // --- installing

  it('testInstallPublicPlugin', async () => {
    const body = { ...w.superClientForm(), client_id: publicClientId2 };
    const res = await installPlugin(body);
    const node = res.body as Json;
    assert.equal(node.client_id, publicClientId2);
    assert.equal(node.super_client_id, superClientId);
    for (const field of ['name', 'description', 'url', 'installed_date']) {
      assert.ok(field in node, field);
    }
    assert.equal(res.status, 200, res.text);
    // testInstallPluginRedundant
    const again = await installPlugin(body);
    assert.equal(errorsAt(again, 0), StatusCodes.PLUGIN_HAS_BEEN_INSTALLED);
    assert.equal(again.status, 400);
    await testRetrieveInstalledPlugin(superClientId, publicClientId2, username);
    const uninstalled = await uninstallPlugin(publicClientId2, username);
    assert.equal(uninstalled.status, 200, uninstalled.text);
    assert.deepEqual(await retrieveUserInstalledPlugin(w.superClientForm()), []);
  });

  it('testInstallPluginMissingClientId', async () => {
    const res = await installPlugin(w.superClientForm());
    assert.equal(errorsAt(res, 0), StatusCodes.INVALID_ARGUMENT);
    assert.equal(res.status, 400);
  });

  it('testInstallPluginInvalidClientId — differs: 404 not_found, the super client authenticated and the client it names does not exist (401 invalid_client is for failed client authentication, RFC 6749 §5.2)', async () => {
    const res = await installPlugin({ ...w.superClientForm(), client_id: 'unknown' });
    assert.equal(res.status, 404);
    assert.equal((res.body as Json).error, 'not_found');
    assert.equal((res.body as Json).error_description, 'No client "unknown".');
  });

  it('testInstallPluginMissingSuperClientSecret', async () => {
    const res = await installPlugin({ super_client_id: superClientId });
    assert.equal((res.body as Json).error_description, 'Missing parameter: super_client_secret');
    assert.equal((res.body as Json).error, 'invalid_request');
    assert.equal(res.status, 400);
  });

  it('testInstallPluginMissingSuperClientId', async () => {
    const res = await installPlugin({});
    assert.equal((res.body as Json).error_description, 'Missing parameter: super_client_id');
    assert.equal((res.body as Json).error, 'invalid_request');
    assert.equal(res.status, 400);
  });

  it('testInstallPluginUnauthorizedClient — differs: 403 unauthorized_client, the client authenticated but is not a super client', async () => {
    const res = await installPlugin({
      super_client_id: confidentialClientId,
      super_client_secret: clientSecret,
    });
    assert.equal((res.body as Json).error, 'unauthorized_client');
    assert.equal(res.status, 403);
  });

  // --- testListUserInstalledPlugins and its helpers

  /** requestAuthorizationCode + requestTokenWithAuthorizationCodeAndForm. */
  const testRequestAccessToken = async (clientId: string): Promise<Json> => {
    const authorize = await w.t
      .http()
      .get(w.api('oauth2/authorize'))
      .query({ response_type: 'code', client_id: clientId, scope: 'search match_info' })
      .set('Authorization', basicAuth(username, KUSTVAKT.password));
    const code = locationParams(authorize.headers.location).get('code');
    assert.ok(code, authorize.text);
    const res = await w.t.http().post(w.api('oauth2/token')).type('form').send({
      grant_type: 'authorization_code',
      client_id: clientId,
      client_secret: clientSecret,
      code,
    });
    assert.equal(res.status, 200, res.text);
    return res.body as Json;
  };

  /**
   * testSearchWithOAuth2Token: tokenvakt serves no search; the search backend asks
   * tokenvakt's introspection, so that is what checks the token here.
   */
  const introspect = async (token: string): Promise<boolean> => {
    const res = await w.t
      .http()
      .post('/oauth2/introspect')
      .auth(resourceServer, clientSecret)
      .type('form')
      .send({ token });
    assert.equal(res.status, 200, res.text);
    return (res.body as { active: boolean }).active;
  };

  /** OAuth2TestBase.testRequestTokenWithRevokedRefreshToken. */
  const testRequestTokenWithRevokedRefreshToken = async (
    clientId: string,
    secret: string,
    refreshToken: string,
  ): Promise<void> => {
    const res = await w.t
      .http()
      .post(w.api('oauth2/token'))
      .set('X-Forwarded-For', KUSTVAKT.forwardedFor)
      .type('form')
      .send({
        grant_type: 'refresh_token',
        client_id: clientId,
        client_secret: secret,
        refresh_token: refreshToken,
      });
    assert.equal((res.body as Json).error, 'invalid_grant');
    assert.match(
      String((res.body as Json).error_description),
      /^(The r|R)efresh token has been revoked\.?$/,
    );
  };

  /**
   * testSearchWithRevokedAccessToken: the revoked token, as a bearer on one of Kustvakt's
   * paths, answers Kustvakt's 401 with INVALID_ACCESS_TOKEN and its words; and introspection
   * (what the search backend asks) says it is not active.
   */
  const testSearchWithRevokedAccessToken = async (accessToken: string): Promise<void> => {
    const res = await form('plugins', `Bearer ${accessToken}`, w.superClientForm());
    assert.equal(res.status, 401);
    assert.equal(errorsAt(res, 0), StatusCodes.INVALID_ACCESS_TOKEN);
    assert.equal(errorsAt(res, 1), 'Access token is invalid');
    assert.equal(await introspect(accessToken), false);
  };

  const testReinstallUninstalledPlugin = async (): Promise<void> => {
    await testInstallConfidentialPlugin(superClientId, confidentialClientId2, username);
    assert.equal((await retrieveUserInstalledPlugin(w.superClientForm())).length, 1);
    const res = await uninstallPlugin(confidentialClientId2, username);
    assert.equal(res.status, 200, res.text);
    assert.equal((await retrieveUserInstalledPlugin(w.superClientForm())).length, 0);
  };

  const testUninstallNotInstalledPlugin = async (): Promise<void> => {
    const res = await uninstallPlugin(confidentialClientId2, username);
    assert.equal(res.status, 404);
    assert.equal(errorsAt(res, 0), StatusCodes.NO_RESOURCE_FOUND);
  };

  it('testListUserInstalledPlugins', async () => {
    await testInstallConfidentialPlugin(superClientId, confidentialClientId, username);
    const tokens = await testRequestAccessToken(confidentialClientId);
    const accessToken = tokens.access_token as string;
    const refreshToken = tokens.refresh_token as string;
    assert.equal(await introspect(accessToken), true);
    await testInstallConfidentialPlugin(superClientId, confidentialClientId2, username);

    let node = await retrieveUserInstalledPlugin(w.superClientForm());
    assert.equal(node.length, 2);
    const [first] = node;
    assert.ok(first);
    for (const field of [
      'name',
      'description',
      'url',
      'client_id',
      'super_client_id',
      'installed_date',
    ]) {
      assert.ok(field in first, field);
    }
    assert.equal('redirect_uri' in first, false);

    let res = await uninstallPlugin(confidentialClientId, username);
    assert.equal(res.status, 200, res.text);
    node = await retrieveUserInstalledPlugin(w.superClientForm());
    assert.equal(node.length, 1);
    await testRequestTokenWithRevokedRefreshToken(confidentialClientId, clientSecret, refreshToken);
    await testSearchWithRevokedAccessToken(accessToken);
    // Both tokens are revoked in the database, not merely refused.
    const rows = await w.t.dataSource
      .getRepository(Token)
      .findBy([{ digest: digestSecret(accessToken) }, { digest: digestSecret(refreshToken) }]);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((row) => row.revokedAt !== null));
    res = await uninstallPlugin(confidentialClientId2, username);
    assert.equal(res.status, 200, res.text);
    node = await retrieveUserInstalledPlugin(w.superClientForm());
    assert.equal(node.length, 0);
    await testReinstallUninstalledPlugin();
    await testUninstallNotInstalledPlugin();
  });
});
