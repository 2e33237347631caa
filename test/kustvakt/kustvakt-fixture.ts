import { digestSecret } from '../../src/auth/secrets';
import { User } from '../../src/users/user.entity';
import { UsersService } from '../../src/users/users.service';
import { insertClientRow } from '../support/factories';
import { basicAuth, startTestApp, type TestApp } from '../support/test-app';

/**
 * The world of Kustvakt's OAuth2 tests (OAuth2TestBase in KorAP/Kustvakt), on a fresh tokenvakt:
 * the same client ids, the same client secret ("secret") and the same user names, so that each
 * ported test reads like its Java original. Kustvakt's test server accepts any password; here
 * every user is a real local user whose password is "password".
 */
export const KUSTVAKT = {
  API_VERSION: 'v1.1',
  API_VERSION_V1_0: 'v1.0',
  publicClientId: '8bIDtZnH6NvRkW2Fq',
  /** Without a registered redirect URI. */
  publicClientId2: 'nW5qM63Rb2a7KdT9L',
  confidentialClientId: '9aHsGW6QflV13ixNpez',
  /** Without a registered redirect URI; a permitted plugin with a source. */
  confidentialClientId2: '52atrL0ajex_3_5imd9Mgw',
  superClientId: 'fCBbQkAyYzI4NzUxMg',
  clientSecret: 'secret',
  state: 'thisIsMyState',
  password: 'password',
  clientURL: 'http://example.client.com',
  clientRedirectUri: 'https://example.client.com/redirect',
  /** What Kustvakt's tests send as X-Forwarded-For. */
  forwardedFor: '149.27.0.32',
} as const;

export interface KustvaktWorld {
  t: TestApp;
  /** `/api/<version>/<path>`, e.g. `api('oauth2/token')`. */
  api: (path: string, version?: string) => string;
  /** `Authorization: Basic` for the user, created on first use with the password "password". */
  userBasic: (username: string) => Promise<string>;
  /** `super_client_id` and `super_client_secret` of the super client. */
  superClientForm: () => Record<string, string>;
  close: () => Promise<void>;
}

/** Starts tokenvakt (SQLite, or the MariaDB named by DATABASE_URL) with Kustvakt's test clients. */
export async function startKustvaktWorld(env: Record<string, string> = {}): Promise<KustvaktWorld> {
  const t = await startTestApp({ RATE_LIMIT_MAX_FAILURES: '1000', ...env });
  const secretDigest = digestSecret(KUSTVAKT.clientSecret);
  await insertClientRow(t, {
    id: KUSTVAKT.superClientId,
    name: 'super confidential client',
    type: 'CONFIDENTIAL',
    secretDigest,
    isSuper: true,
    url: 'http://korap.ids-mannheim.de/confidential',
    redirectUri: 'https://korap.ids-mannheim.de/confidential/redirect',
    description: 'Super confidential client.',
  });
  await insertClientRow(t, {
    id: KUSTVAKT.publicClientId,
    name: 'public client plugin with redirect uri',
    type: 'PUBLIC',
    url: 'https://third.party.client.com',
    redirectUri: 'https://third.party.client.com/redirect',
    description: 'Public client plugin with a registered redirect URI',
  });
  await insertClientRow(t, {
    id: KUSTVAKT.publicClientId2,
    name: 'test public client',
    type: 'PUBLIC',
    url: 'http://korap.ids-mannheim.de/public',
    description: 'Public client without redirect uri',
  });
  await insertClientRow(t, {
    id: KUSTVAKT.confidentialClientId,
    name: 'non super confidential client',
    type: 'CONFIDENTIAL',
    secretDigest,
    url: 'https://third.party.com/confidential',
    redirectUri: 'https://third.party.com/confidential/redirect',
    description: 'Nonsuper confidential client with redirect URI',
  });
  await insertClientRow(t, {
    id: KUSTVAKT.confidentialClientId2,
    name: 'confidential client 2',
    type: 'CONFIDENTIAL',
    secretDigest,
    url: 'http://example.client.de',
    description: 'Nonsuper confidential client plugin without redirect URI',
    source: '{"key":"value"}',
    // OAuth2TestBase permits it (setPermitted(true)) after registering it.
    pluginPermitted: true,
  });

  const users = new Map<string, Promise<void>>();
  const ensureUser = (username: string): Promise<void> => {
    let created = users.get(username);
    if (created === undefined) {
      created = (async () => {
        const existing = await t.dataSource.getRepository(User).findOneBy({ username });
        if (existing === null) await t.get(UsersService).create(username, KUSTVAKT.password);
      })();
      users.set(username, created);
    }
    return created;
  };

  return {
    t,
    api: (path, version = KUSTVAKT.API_VERSION) => `/api/${version}/${path}`,
    userBasic: async (username) => {
      await ensureUser(username);
      return basicAuth(username, KUSTVAKT.password);
    },
    superClientForm: () => ({
      super_client_id: KUSTVAKT.superClientId,
      super_client_secret: KUSTVAKT.clientSecret,
    }),
    close: () => t.close(),
  };
}

/** The query parameters of a redirect's Location. */
export function locationParams(location: string | undefined): URLSearchParams {
  if (location === undefined) throw new Error('no Location header');
  return new URL(location).searchParams;
}
