import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidS256Challenge, verifyS256 } from './pkce';

describe('PKCE S256', () => {
  // RFC 7636 Appendix B.
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  it('accepts the RFC 7636 example pair', () => {
    assert.equal(isValidS256Challenge(challenge), true);
    assert.equal(verifyS256(verifier, challenge), true);
  });

  it('refuses a different verifier, a too short one, and characters outside the unreserved set', () => {
    assert.equal(verifyS256(verifier.replace('d', 'e'), challenge), false);
    assert.equal(verifyS256('short', challenge), false);
    assert.equal(verifyS256(`${verifier.slice(0, 42)}+`, challenge), false);
  });

  it('refuses challenges that are not 43 base64url characters', () => {
    assert.equal(isValidS256Challenge(challenge.slice(1)), false);
    assert.equal(isValidS256Challenge(`${challenge.slice(1)}=`), false);
    assert.equal(isValidS256Challenge(verifier), true);
  });
});
