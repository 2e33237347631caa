import { OAuthError } from '../common/oauth-error';

/** The longest redirect URI, as sent and as stored: the length of the columns that hold it. */
export const MAX_REDIRECT_URI_LENGTH = 2000;

/**
 * Hosts that never leave the machine, the only ones where a code may travel over plain http
 * (RFC 8252 §7.3, §8.3). `localhost` is kept for the tools that register it.
 */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The WHATWG URL serialisation of `raw` (`new URL(raw).href`), or null when it is not an
 * absolute URL. Registration stores this form and every comparison is made in it, so that
 * `http://127.0.0.1:18399` and `http://127.0.0.1:18399/` are one URI: the one the Location of
 * the authorization answer starts with.
 */
export function canonicalRedirectUri(raw: string): string | null {
  try {
    return new URL(raw).href;
  } catch {
    return null;
  }
}

/**
 * Whether a redirect_uri sent by a client names the registered (or code-bound) URI: exact
 * matching (RFC 9700 §2.1) of the canonical forms. Canonicalising the registered value as well
 * keeps clients registered before URIs were stored canonically working.
 */
export function sameRedirectUri(requested: string | undefined, registered: string): boolean {
  if (requested === undefined) return false;
  const canonical = canonicalRedirectUri(requested);
  return canonical !== null && canonical === canonicalRedirectUri(registered);
}

/**
 * The canonical form of a redirect URI a client registers, or 400 invalid_request naming the
 * rule it breaks (RFC 9700 §4.1: a loose redirect URI leaks codes):
 * - absolute `https`, or plain `http` only on a loopback host (RFC 6749 §3.1.2.1, RFC 8252 §7.3);
 * - no user name or password: `https://trusted.example@evil.example/` reads like one host and
 *   goes to another (RFC 3986 §3.2.1, §7.6);
 * - no fragment (RFC 6749 §3.1.2);
 * - at most MAX_REDIRECT_URI_LENGTH characters, also in canonical form (which may be longer).
 */
export function registrableRedirectUri(raw: string): string {
  const tooLong = `redirect_uri must be at most ${MAX_REDIRECT_URI_LENGTH} characters.`;
  if (raw.length > MAX_REDIRECT_URI_LENGTH) throw OAuthError.invalidRequest(tooLong);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw OAuthError.invalidRequest('redirect_uri must be an absolute https URI.');
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw OAuthError.invalidRequest(
      'redirect_uri must be an https URI; plain http only for 127.0.0.1, [::1] or localhost.',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw OAuthError.invalidRequest('redirect_uri must not contain a user name or password.');
  }
  // `href`, not `hash`: an empty fragment ("…/cb#") has an empty hash but is still one.
  if (url.href.includes('#')) {
    throw OAuthError.invalidRequest('redirect_uri must not contain a fragment.');
  }
  if (url.href.length > MAX_REDIRECT_URI_LENGTH) throw OAuthError.invalidRequest(tooLong);
  return url.href;
}
