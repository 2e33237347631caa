import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestSecret } from '../src/auth/secrets';
import { Token } from '../src/tokens/token.entity';
import { UsersService } from '../src/users/users.service';
import { expectOAuthError as expectError } from './support/assertions';
import {
  authorizeAndExchange,
  clientBasic,
  createClient,
  createSuperClient,
  createUser,
  listTokens,
  login,
  postForm,
  type TestClient,
  type TestUser,
} from './support/factories';
import { basicAuth, startTestApp, type TestApp } from './support/test-app';

/**
 * Names and ids are compared exactly on both dialects. MySQL/MariaDB compare `utf8mb4_bin`
 * with PAD SPACE, where `alice ` equals `alice`; tokenvakt refuses what cannot be a username,
 * client id or handle before it looks anything up, so no such spelling reaches a query.
 */
describe('identifiers are checked before they are looked up', () => {
  const MAX_FAILURES = 3;
  let t: TestApp;
  let superClient: TestClient;
  let client: TestClient;
  let alice: TestUser;

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX_FAILURES: String(MAX_FAILURES) });
    superClient = await createSuperClient(t);
    client = await createClient(t);
    alice = await createUser(t);
  });
  after(() => t.close());

  const passwordGrant = (username: string, password: string) =>
    postForm(t, '/oauth2/token', clientBasic(superClient), {
      grant_type: 'password',
      username,
      password,
    });

  for (const spelling of [' ', '   ', '\t']) {
    it(`refuses Basic credentials for ${JSON.stringify(`alice${spelling}`)} with the right password (401)`, async () => {
      const res = await listTokens(
        t,
        superClient,
        basicAuth(`${alice.username}${spelling}`, alice.password),
      );
      expectError(res, 401, 'invalid_token');
      assert.equal(res.headers['www-authenticate'], 'Basic realm="tokenvakt"');
    });

    it(`issues no token to ${JSON.stringify(`alice${spelling}`)} through the password grant (invalid_grant)`, async () => {
      const res = await passwordGrant(`${alice.username}${spelling}`, alice.password);
      expectError(res, 400, 'invalid_grant');
    });
  }

  it('never counts a name that cannot be a username as a failure: it was not checked', async () => {
    // Without the rule, each of these would be a looked-up, hashed and counted failure, and
    // the fourth would be refused with 429.
    for (let i = 0; i < MAX_FAILURES + 2; i++) {
      const res = await listTokens(t, superClient, basicAuth(`${alice.username} `, 'wrong'));
      expectError(res, 401, 'invalid_token');
    }
    // alice herself was never touched.
    assert.equal((await listTokens(t, superClient, alice.basic)).status, 200);
  });

  it('refuses a client id with trailing spaces as an unknown client (401 invalid_client)', async () => {
    const res = await postForm(t, '/oauth2/token', undefined, {
      grant_type: 'client_credentials',
      scope: 'search',
      client_id: `${client.client_id} `,
      client_secret: client.client_secret,
    });
    expectError(res, 401, 'invalid_client');
    const super_ = await listTokens(
      t,
      { ...superClient, client_id: `${superClient.client_id}  ` },
      alice.basic,
    );
    expectError(super_, 401, 'invalid_client');
  });

  it('revokes nothing for a handle with trailing spaces', async () => {
    const session = await login(t, superClient, alice);
    const issued = await authorizeAndExchange(t, { session, client });
    const row = await t.dataSource
      .getRepository(Token)
      .findOneByOrFail({ digest: digestSecret(issued.access_token) });
    const res = await postForm(t, '/oauth2/revoke/super', alice.basic, {
      super_client_id: superClient.client_id,
      super_client_secret: superClient.client_secret,
      token: `${row.handle} `,
    });
    assert.equal(res.status, 200);
    const after = await t.dataSource.getRepository(Token).findOneByOrFail({ handle: row.handle });
    assert.equal(after.revokedAt, null);
  });

  it('removes no user for a name with trailing spaces', async () => {
    const user = await createUser(t);
    assert.equal(await t.get(UsersService).remove(`${user.username} `), false);
    assert.equal((await passwordGrant(user.username, user.password)).status, 200);
  });
});
