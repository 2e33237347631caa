import assert from 'node:assert/strict';
import type { Response } from 'supertest';

/**
 * The error answer of every route (README: API at a glance): the status, a JSON body of exactly `{error, error_description}`
 * (a non-empty sentence), the expected code when one is given, and no stack trace or SQL.
 */
export function expectOAuthError(
  res: Response,
  status: number,
  code?: string | null,
): { error: string; error_description: string } {
  return expectErrorBody(res, status, code, ['error', 'error_description']);
}

/**
 * An error the authorization endpoint answers directly (no trusted redirect URI yet, RFC 6749
 * §4.1.2.1): expectOAuthError's checks, with the request's `state` echoed beside the two RFC
 * fields when the request had one, and no Location (README: Security model, redirect URIs).
 */
export function expectDirectAuthorizeError(
  res: Response,
  status: number,
  code: string,
  state: string | undefined,
): { error: string; error_description: string; state?: string } {
  const body = expectErrorBody(
    res,
    status,
    code,
    state === undefined ? ['error', 'error_description'] : ['error', 'error_description', 'state'],
  );
  assert.equal((body as { state?: unknown }).state, state);
  assert.equal(res.headers.location, undefined);
  return body;
}

function expectErrorBody(
  res: Response,
  status: number,
  code: string | null | undefined,
  keys: string[],
): { error: string; error_description: string } {
  assert.equal(
    res.status,
    status,
    `expected ${status} ${code ?? ''}, got ${res.status} ${res.text}`,
  );
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.body as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), [...keys].sort());
  assert.equal(typeof body.error, 'string');
  assert.equal(typeof body.error_description, 'string');
  assert.ok((body.error_description as string).length > 0);
  if (code !== undefined && code !== null) assert.equal(body.error, code);
  assert.doesNotMatch(
    res.text,
    /\bat .+[\\/].+\.[jt]s:\d+|node_modules|QueryFailedError|SQLITE_|ER_[A-Z_]+/,
  );
  return body as { error: string; error_description: string };
}
