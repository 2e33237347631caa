import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { In } from 'typeorm';
import { digestSecret } from '../src/auth/secrets';
import { AuthorizationCode } from '../src/authorization/authorization-code.entity';
import { runCommand } from '../src/cli/commands';
import { Token } from '../src/tokens/token.entity';
import { User } from '../src/users/user.entity';
import { expectOAuthError } from './support/assertions';
import {
  authorizeAndExchange,
  authorizeCode,
  clientBasic,
  createClient,
  createSuperClient,
  createUser,
  listTokens,
  login,
  postForm,
  type TestClient,
  type TestUser,
  type TokenResponse,
} from './support/factories';
import { bearer, startTestApp, type TestApp } from './support/test-app';

/** Issue 9, item 3: removal ends everything a user had, and a name is not an identity. */
describe('a user is an identity, not a name', () => {
  let t: TestApp;
  let superClient: TestClient;
  let admin: TestClient;
  let resourceServer: TestClient;
  let app: TestClient;

  before(async () => {
    t = await startTestApp();
    superClient = await createSuperClient(t);
    admin = await createClient(t, { isAdmin: true, redirectUri: undefined });
    resourceServer = await createClient(t, { mayIntrospect: true, redirectUri: undefined });
    app = await createClient(t);
  });
  after(() => t.close());

  /** The operator's `users remove`, as the CLI runs it. */
  const removeUser = (username: string) =>
    runCommand(t.app, ['users', 'remove', username], () => Promise.reject(new Error('no stdin')));

  const redeem = (code: string, client: TestClient = app) =>
    t.http().post('/oauth2/token').set('Authorization', clientBasic(client)).type('form').send({
      grant_type: 'authorization_code',
      code,
    });

  const refresh = (refreshToken: string, client: TestClient = app) =>
    t.http().post('/oauth2/token').set('Authorization', clientBasic(client)).type('form').send({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });

  const isActive = async (token: string): Promise<boolean> => {
    const res = await t
      .http()
      .post('/oauth2/introspect')
      .set('Authorization', clientBasic(resourceServer))
      .type('form')
      .send({ token });
    assert.equal(res.status, 200, res.text);
    return (res.body as { active: boolean }).active;
  };

  const handleOf = async (raw: string): Promise<string> =>
    (await t.dataSource.getRepository(Token).findOneByOrFail({ digest: digestSecret(raw) })).handle;

  const superForm = () => ({
    super_client_id: superClient.client_id,
    super_client_secret: superClient.client_secret,
  });

  const adminTokensPath = (username: string) =>
    `/admin/users/${encodeURIComponent(username)}/tokens`;

  describe('users remove', () => {
    it('ends everything a user had: a code issued before the removal is refused with invalid_grant after it, and every token is revoked', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const grant = await authorizeAndExchange(t, { session, client: app });
      const pending = await authorizeCode(t, { session, client: app });
      assert.equal(await isActive(grant.access_token), true);

      assert.deepEqual(await removeUser(user.username), {
        username: user.username,
        removed: true,
      });

      expectOAuthError(await redeem(pending), 400, 'invalid_grant');
      const codes = await t.dataSource
        .getRepository(AuthorizationCode)
        .findBy({ digest: digestSecret(pending) });
      assert.deepEqual(codes, []);
      for (const token of [session.access_token, grant.access_token, grant.refresh_token ?? '']) {
        assert.equal(await isActive(token), false);
      }
      expectOAuthError(await refresh(grant.refresh_token ?? ''), 400, 'invalid_grant');
      expectOAuthError(await listTokens(t, superClient, bearer(session.access_token)), 401);
      // Nothing was issued for the removed user, and nothing of theirs is live.
      const rows = await t.dataSource.getRepository(Token).findBy({ username: user.username });
      assert.equal(rows.length, 4);
      assert.ok(rows.every((row) => row.revokedAt !== null));
    });

    it('refuses a code whose user was removed after it was issued (an authorization racing the removal) with invalid_grant, issuing nothing', async () => {
      const user = await createUser(t);
      const session = await login(t, superClient, user);
      const code = await authorizeCode(t, { session, client: app });
      // What a removal leaves when the code was written just after it deleted the user's codes.
      await t.dataSource.getRepository(User).delete({ username: user.username });

      expectOAuthError(await redeem(code), 400, 'invalid_grant');
      const issued = await t.dataSource
        .getRepository(Token)
        .findBy({ username: user.username, clientId: app.client_id });
      assert.deepEqual(issued, []);
    });
  });

  it('takes a session token that names a user but no user id (as written before the UserIds migration) as acting for nobody: 403 insufficient_scope', async () => {
    const user = await createUser(t);
    const session = await login(t, superClient, user);
    await t.dataSource
      .getRepository(Token)
      .update({ digest: digestSecret(session.access_token) }, { userId: null });
    expectOAuthError(
      await listTokens(t, superClient, bearer(session.access_token)),
      403,
      'insufficient_scope',
    );
  });

  describe('a new user with the name of a removed one', () => {
    let old: TestUser;
    let oldSession: TokenResponse;
    /** Registered by the old user. */
    let oldClient: { client_id: string; client_secret: string };
    /** The old user's grant at `app`, left live as if its revocation had been missed. */
    let oldGrant: TokenResponse;
    let oldHandles: string[];
    let successor: TestUser;
    let session: TokenResponse;
    let sessionHandles: string[];

    before(async () => {
      old = await createUser(t);
      oldSession = await login(t, superClient, old);
      const registered = await t
        .http()
        .post('/oauth2/client/register')
        .set('Authorization', bearer(oldSession.access_token))
        .send({
          name: 'Old user app',
          type: 'CONFIDENTIAL',
          description: 'Registered by the first user of the name.',
          redirect_uri: 'https://old-user.example/cb',
        });
      assert.equal(registered.status, 200, registered.text);
      oldClient = registered.body as typeof oldClient;
      oldGrant = await authorizeAndExchange(t, { session: oldSession, client: app });
      oldHandles = [
        await handleOf(oldGrant.access_token),
        await handleOf(oldGrant.refresh_token ?? ''),
      ];

      await removeUser(old.username);
      await t.dataSource
        .getRepository(Token)
        .update({ handle: In(oldHandles) }, { revokedAt: null });
      assert.equal(await isActive(oldGrant.access_token), true);

      successor = await createUser(t, old.username);
      session = await login(t, superClient, successor);
      sessionHandles = [
        await handleOf(session.access_token),
        await handleOf(session.refresh_token ?? ''),
      ];
    });

    it("owns none of the old user's clients: not listed as owned, no registrant fields, deregister and reset refused with 403 access_denied", async () => {
      const auth = bearer(session.access_token);
      const owned = await postForm(t, '/oauth2/client/list', auth, {
        ...superForm(),
        filter_by: 'owned_only',
      });
      assert.equal(owned.status, 200, owned.text);
      assert.deepEqual(owned.body, []);

      const info = await postForm(t, `/oauth2/client/${oldClient.client_id}`, auth, superForm());
      assert.equal(info.status, 200, info.text);
      assert.deepEqual(Object.keys(info.body as object).sort(), [
        'client_description',
        'client_id',
        'client_name',
        'client_redirect_uri',
        'client_type',
        'client_url',
        'permitted',
        'super',
      ]);

      expectOAuthError(
        await t
          .http()
          .delete(`/oauth2/client/deregister/${oldClient.client_id}`)
          .set('Authorization', auth),
        403,
        'access_denied',
      );
      expectOAuthError(
        await postForm(t, '/oauth2/client/reset', auth, { client_id: oldClient.client_id }),
        403,
        'access_denied',
      );
      // The client is still there, with its old secret.
      const stillThere = await t.http().post('/oauth2/token').type('form').send({
        grant_type: 'client_credentials',
        client_id: oldClient.client_id,
        client_secret: oldClient.client_secret,
        scope: 'search',
      });
      assert.equal(stillThere.status, 200, stillThere.text);
    });

    it("does not see the old user's tokens: not in the token list, not as an authorized client, not in the admin API", async () => {
      const auth = bearer(session.access_token);
      for (const tokenType of ['access_token', 'refresh_token']) {
        const list = await listTokens(t, superClient, auth, { token_type: tokenType });
        assert.equal(list.status, 200, list.text);
        assert.deepEqual(list.body, [], tokenType);
        assert.equal(list.headers['x-total-count'], '0');
      }
      const authorized = await postForm(t, '/oauth2/client/list', auth, {
        ...superForm(),
        filter_by: 'authorized_only',
      });
      assert.equal(authorized.status, 200, authorized.text);
      assert.deepEqual(authorized.body, []);

      const adminList = await t
        .http()
        .get(adminTokensPath(successor.username))
        .set('Authorization', clientBasic(admin));
      assert.equal(adminList.status, 200, adminList.text);
      const listed = (adminList.body as Array<{ token: string }>).map((entry) => entry.token);
      assert.deepEqual(listed.sort(), [...sessionHandles].sort());
    });

    it("cannot revoke the old user's tokens by handle, through a super client or the admin API", async () => {
      for (const handle of oldHandles) {
        const res = await postForm(t, '/oauth2/revoke/super', bearer(session.access_token), {
          ...superForm(),
          token: handle,
        });
        assert.equal(res.status, 200, res.text);
        const admin204 = await t
          .http()
          .delete(`${adminTokensPath(successor.username)}/${handle}`)
          .set('Authorization', clientBasic(admin));
        assert.equal(admin204.status, 204);
      }
      assert.equal(await isActive(oldGrant.access_token), true);
      assert.equal(await isActive(oldGrant.refresh_token ?? ''), true);
    });

    it("is a new identity: a new id, and the operator's client list tells the old registrant apart", async () => {
      const clients = (await runCommand(t.app, ['clients', 'list'], () =>
        Promise.reject(new Error('no stdin')),
      )) as Array<Record<string, unknown>>;
      const listed = clients.find((c) => c.client_id === oldClient.client_id);
      assert.equal(listed?.registered_by, old.username);
      assert.equal(listed?.registered_by_user_id, old.id);
      // The old user had the highest id when removed: a reused id would be theirs.
      assert.ok(successor.id > old.id, `${successor.id} after ${old.id}`);
    });
  });
});
