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
  assert.equal(
    res.status,
    status,
    `expected ${status} ${code ?? ''}, got ${res.status} ${res.text}`,
  );
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.body as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
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
