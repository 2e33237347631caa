import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '../common/oauth-error';
import { KUSTVAKT_STATUS, kustvaktErrorFields } from './kustvakt-errors';

describe("Kustvakt's errors array (kustvaktErrorFields)", () => {
  it('gives a dead bearer token Kustvakt’s EXPIRED 2003 or INVALID_ACCESS_TOKEN 2011, on Kustvakt’s paths only', () => {
    const expired = OAuthError.invalidToken('dead').refusesBearer('expired');
    const invalid = OAuthError.invalidToken('dead').refusesBearer('invalid');
    assert.deepEqual(kustvaktErrorFields('/api/v1.0/oauth2/token/list', expired), {
      errors: [[2003, 'Access token is expired']],
    });
    assert.deepEqual(kustvaktErrorFields('/api/v1.1/plugins', invalid), {
      errors: [[2011, 'Access token is invalid']],
    });
    assert.equal(kustvaktErrorFields('/oauth2/token/list', invalid), undefined);
  });

  it('gives a refusal with a Kustvakt status its code and description, on Kustvakt’s paths only', () => {
    const error = OAuthError.invalidRequest('Plugin has been installed.').withKustvaktStatus(
      KUSTVAKT_STATUS.PLUGIN_HAS_BEEN_INSTALLED,
    );
    assert.deepEqual(kustvaktErrorFields('/api/v1.1/plugins/install', error), {
      errors: [[1851, 'Plugin has been installed.']],
    });
    assert.equal(kustvaktErrorFields('/plugins/install', error), undefined);
    assert.equal(
      kustvaktErrorFields('/api/v1.1/plugins', OAuthError.invalidRequest('no status')),
      undefined,
    );
  });

  it('never sends a description Kalamar would take for a dead session (/expired|invalid/)', () => {
    const error = OAuthError.invalidRequest('redirect_uri is invalid').withKustvaktStatus(
      KUSTVAKT_STATUS.INVALID_ARGUMENT,
    );
    assert.equal(kustvaktErrorFields('/api/v1.1/plugins', error), undefined);
  });
});
