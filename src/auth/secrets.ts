import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Prefixes make a leaked tokenvakt secret recognisable to secret scanners (README: API at a glance).
 */
export const SECRET_PREFIX = {
  accessToken: 'tva_',
  refreshToken: 'tvr_',
  authorizationCode: 'tvc_',
  clientSecret: 'tvs_',
} as const;

/** 256 bits from the CSPRNG, base64url, with a type prefix. */
export function generateSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** A random, non-secret identifier (token handles, grant families, client ids). */
export function generateId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A client id: letters and digits only (16 of them, about 95 bits), so that an id never
 * starts with `-` and looks like an option on a command line (`clients grant <id>`).
 */
export function generateClientId(length = 16): string {
  let id = '';
  while (id.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 = 4 × 62: dropping the bytes above keeps every character equally likely.
      if (byte < 248 && id.length < length) id += ALPHANUMERIC[byte % 62];
    }
  }
  return id;
}

/**
 * SHA-256 (hex) of a server-generated secret. A fast digest is right here: the inputs carry
 * 256 bits of entropy, so there is nothing to brute-force, and client authentication stays
 * cheap on every request. User passwords use scrypt instead (password-hasher.ts).
 */
export function digestSecret(raw: string): string {
  return createHash('sha256').update(raw, 'utf8').digest('hex');
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEquals(a: string, b: string): boolean {
  // Hashing first gives equal-length buffers, so the length of `a` does not leak either.
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

/** A digest that matches nothing, compared against when a client is unknown (equal timing). */
export const UNMATCHABLE_DIGEST = '0'.repeat(64);
