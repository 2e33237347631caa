/**
 * Splits an `Authorization` header into scheme and credentials; the scheme is compared
 * case-insensitively (RFC 9110 §11.1).
 */
export function parseAuthorizationHeader(
  header: string | undefined,
): { scheme: 'basic' | 'bearer' | 'other'; credentials: string } | undefined {
  if (header === undefined) return undefined;
  const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  if (!match?.[1] || !match[2]) return undefined;
  const scheme = match[1].toLowerCase();
  return {
    scheme: scheme === 'basic' || scheme === 'bearer' ? scheme : 'other',
    credentials: match[2],
  };
}

/** Decodes `base64(user:password)`; undefined when it is not valid Basic credentials. */
export function decodeBasicCredentials(
  credentials: string,
): { user: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(credentials)) return undefined;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
