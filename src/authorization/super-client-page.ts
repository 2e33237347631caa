import type { AuthenticatedUser } from '../auth/authenticated-user';
import type { Client } from '../clients/client.entity';
import { canonicalRedirectUri, MAX_REDIRECT_URI_LENGTH } from '../clients/redirect-uri';

/** A code request made from the super client's own page (README: Security model, personal tokens). */
export interface SuperClientPage {
  /** The super client the code comes back to, and whose token list reveals the token. */
  readonly superClientId: string;
  /** The requested redirect URI in canonical form: the code is bound to it. */
  readonly redirectUri: string;
}

/**
 * Whether this authorization request is the super client's own page asking for a code for a
 * client this same user registered (Kalamar's "Issue new token"), and if so, which. All of:
 * - the user authenticated with a Bearer session of a super client (Basic names no super client);
 * - the target client was registered by this user, so the code can only ever reach the
 *   user's own front end: a third party's client keeps the ordinary rules, and nobody can have
 *   a victim's code delivered to the front end's URL;
 * - `redirect_uri` lies under the super client's registered redirect URI (redirectUriUnder).
 * Anything else is null, and the ordinary rules apply.
 */
export function superClientPage(
  user: AuthenticatedUser,
  client: Client,
  requestedRedirectUri: string | undefined,
): SuperClientPage | null {
  const superClient = user.bearerToken?.client;
  if (!superClient?.isSuper || superClient.redirectUri === null) return null;
  if (requestedRedirectUri === undefined || client.registeredByUserId !== user.userId) return null;
  const redirectUri = redirectUriUnder(requestedRedirectUri, superClient.redirectUri);
  return redirectUri === null ? null : { superClientId: superClient.id, redirectUri };
}

/**
 * The canonical form of `requested` when it lies under `registered`, else null: same scheme,
 * host and port, and the canonical path continues the registered one segment by segment (a
 * registered path ending in `/` covers everything below it; otherwise the path must equal it
 * or go on with `/`, so `/settings` covers `/settings/x` but not `/settingsX`). Dot segments
 * are resolved by the canonical form, so `/settings/../admin` is `/admin`. A query is allowed;
 * a fragment or user info never (RFC 6749 §3.1.2, RFC 9700 §4.1).
 */
export function redirectUriUnder(requested: string, registered: string): string | null {
  const canonical = canonicalRedirectUri(requested);
  const prefix = canonicalRedirectUri(registered);
  if (canonical === null || prefix === null || canonical.length > MAX_REDIRECT_URI_LENGTH) {
    return null;
  }
  const url = new URL(canonical);
  const base = new URL(prefix);
  if (url.username !== '' || url.password !== '' || canonical.includes('#')) return null;
  if (url.protocol !== base.protocol || url.host !== base.host) return null;
  const under = base.pathname.endsWith('/')
    ? url.pathname.startsWith(base.pathname)
    : url.pathname === base.pathname || url.pathname.startsWith(`${base.pathname}/`);
  return under ? canonical : null;
}
