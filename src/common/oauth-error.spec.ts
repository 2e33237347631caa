import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_STATE_LENGTH, OAuthError } from './oauth-error';

describe('OAuthError.withState (the state of a direct authorize error)', () => {
  it('keeps a state of 1 to MAX_STATE_LENGTH characters as it is', () => {
    for (const state of ['s', 'st/a te&x=1ä', '"</script>', 'x'.repeat(MAX_STATE_LENGTH)]) {
      assert.equal(OAuthError.invalidRequest('no').withState(state).state, state);
    }
  });

  it('leaves out no state, an empty one (as Kustvakt) and one over the limit', () => {
    for (const state of [undefined, '', 'x'.repeat(MAX_STATE_LENGTH + 1)]) {
      assert.equal(OAuthError.invalidRequest('no').withState(state).state, undefined);
    }
  });

  it('returns the same error, so that it can be thrown at once', () => {
    const error = OAuthError.invalidClient('Unknown client.');
    assert.equal(error.withState('s'), error);
    assert.equal(error.status, 401);
  });
});
