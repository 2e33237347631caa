import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { legacyClientListSelection } from './legacy-client-list';

describe("Kustvakt's client-list parameters (OAuthClientController.listUserClients)", () => {
  it("leaves tokenvakt's own path to filter_by, whatever authorized_only says", () => {
    assert.equal(legacyClientListSelection(undefined, {}), undefined);
    assert.equal(legacyClientListSelection(undefined, { authorized_only: 'true' }), undefined);
  });

  it('v1.0: authorized_only=true (any case) lists the authorized clients, even with filter_by', () => {
    for (const value of ['true', 'TRUE', 'True']) {
      assert.equal(
        legacyClientListSelection('v1.0', { authorized_only: value }),
        'authorized_only',
      );
    }
    assert.equal(
      legacyClientListSelection('v1.0', { authorized_only: 'true', filter_by: 'owned_only' }),
      'authorized_only',
    );
  });

  it('v1.0: without filter_by, or with an empty one, the owned clients; authorized_only=no is false', () => {
    for (const form of [
      {},
      { filter_by: '' },
      { authorized_only: 'no' },
      { authorized_only: '' },
    ]) {
      assert.equal(legacyClientListSelection('v1.0', form), 'owned_only', JSON.stringify(form));
    }
  });

  it('v1.1: authorized_only is ignored; without filter_by, authorized and owned', () => {
    for (const form of [{}, { filter_by: '' }, { authorized_only: 'true' }]) {
      assert.equal(legacyClientListSelection('v1.1', form), 'authorized_and_owned');
    }
  });

  it('leaves a non-empty filter_by to the caller, known or not', () => {
    for (const version of ['v1.0', 'v1.1'] as const) {
      for (const filterBy of ['owned_only', 'authorized_only', 'foo']) {
        assert.equal(legacyClientListSelection(version, { filter_by: filterBy }), undefined);
      }
    }
  });
});
