import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '../common/oauth-error';
import { parsePaging, parseTokenType } from './token-list-paging';

const isInvalidRequest = (e: unknown): boolean =>
  e instanceof OAuthError && e.code === 'invalid_request';

describe('token list paging', () => {
  it('defaults to start 0, max_results 200, no counts', () => {
    assert.deepEqual(parsePaging({}), { start: 0, maxResults: 200, countsOnly: false });
  });

  it('reads the bounds inclusively', () => {
    assert.deepEqual(parsePaging({ start: '5', max_results: '1', counts_only: 'true' }), {
      start: 5,
      maxResults: 1,
      countsOnly: true,
    });
    assert.equal(parsePaging({ max_results: '200' }).maxResults, 200);
  });

  it('refuses malformed or out-of-range values', () => {
    for (const raw of [
      { start: '-1' },
      { start: '1.5' },
      { start: '' },
      { max_results: '0' },
      { max_results: '201' },
      { max_results: '1e2' },
      { counts_only: 'yes' },
    ]) {
      assert.throws(() => parsePaging(raw), isInvalidRequest, JSON.stringify(raw));
    }
  });

  it('knows the two token types', () => {
    assert.equal(parseTokenType('access_token'), 'access_token');
    assert.equal(parseTokenType('refresh_token'), 'refresh_token');
    assert.throws(() => parseTokenType('id_token'), isInvalidRequest);
    assert.throws(() => parseTokenType(undefined), isInvalidRequest);
  });
});
