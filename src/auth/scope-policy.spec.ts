import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../clients/client.entity';
import type { AppConfig } from '../config/app-config';
import { OAuthError } from '../common/oauth-error';
import { ScopePolicy } from './scope-policy';

const config = { scopes: ['client_info', 'match_info', 'search'] } as Partial<AppConfig>;
const policy = new ScopePolicy(config as AppConfig);
const thirdParty = { isSuper: false } as Client;
const superClient = { isSuper: true } as Client;

function invalidScope(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof OAuthError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_scope');
    return error.description;
  }
  assert.fail('expected invalid_scope');
}

describe('ScopePolicy', () => {
  it('grantable: exactly the named scopes, sorted and distinct, or invalid_scope', () => {
    assert.deepEqual(policy.grantable('search match_info search', thirdParty), [
      'match_info',
      'search',
    ]);
    assert.match(
      invalidScope(() => policy.grantable('search nope', thirdParty)),
      /nope/,
    );
    assert.match(
      invalidScope(() => policy.grantable('all', thirdParty)),
      /super clients/,
    );
    assert.deepEqual(policy.grantable('all', superClient), ['all']);
    invalidScope(() => policy.grantable(undefined, thirdParty));
    invalidScope(() => policy.grantable('  ', thirdParty));
  });

  it('narrowed: leaves out what the client may not hold (RFC 6749 §3.3, Kustvakt)', () => {
    assert.deepEqual(policy.narrowed('preferred_username client_info', thirdParty), [
      'client_info',
    ]);
    assert.deepEqual(policy.narrowed('all search', thirdParty), ['search']);
    assert.deepEqual(policy.narrowed('all search', superClient), ['all', 'search']);
  });

  it('narrowed: invalid_scope when nothing is requested or nothing is left', () => {
    invalidScope(() => policy.narrowed(undefined, thirdParty));
    invalidScope(() => policy.narrowed(' ', thirdParty));
    assert.match(
      invalidScope(() => policy.narrowed('preferred_username', thirdParty)),
      /Unknown scope "preferred_username"/,
    );
    assert.match(
      invalidScope(() => policy.narrowed('all preferred_username', thirdParty)),
      /None of the requested scopes/,
    );
  });
});
