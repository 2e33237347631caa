import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderApiReference } from '../src/common/api-reference';
import { buildOpenApiDocument } from '../src/common/openapi';
import { REPO_ROOT } from './support/processes';
import { startTestApp, type TestApp } from './support/test-app';

const FILE = join(REPO_ROOT, 'docs/api.md');

/**
 * docs/api.md is what the code's OpenAPI description says. `npm run docs:api` runs this test
 * with UPDATE_API_REFERENCE=1, which writes the file instead of comparing.
 */
describe('docs/api.md', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('is the API reference generated from the code (npm run docs:api rewrites it)', () => {
    const generated = `${renderApiReference(buildOpenApiDocument(t.app))}\n`;
    if (process.env.UPDATE_API_REFERENCE === '1') writeFileSync(FILE, generated);
    assert.equal(
      readFileSync(FILE, 'utf8'),
      generated,
      'docs/api.md is out of date: run npm run docs:api',
    );
  });
});
