import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBasicCredentials, parseAuthorizationHeader } from './basic-credentials';
import {
  constantTimeEquals,
  digestSecret,
  generateClientId,
  generateSecret,
  SECRET_PREFIX,
} from './secrets';

describe('secrets', () => {
  it('generates 256 random bits, base64url, with the type prefix', () => {
    const a = generateSecret(SECRET_PREFIX.accessToken);
    assert.match(a, /^tva_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, generateSecret(SECRET_PREFIX.accessToken));
  });

  it('makes client ids of letters and digits only, never starting with "-"', () => {
    const ids = Array.from({ length: 2000 }, () => generateClientId());
    for (const id of ids) assert.match(id, /^[A-Za-z0-9]{16}$/);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('digests with SHA-256 (hex)', () => {
    assert.equal(
      digestSecret('abc'),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('compares strings of any length', () => {
    assert.equal(constantTimeEquals('abc', 'abc'), true);
    assert.equal(constantTimeEquals('abc', 'abd'), false);
    assert.equal(constantTimeEquals('abc', 'abcd'), false);
    assert.equal(constantTimeEquals('', ''), true);
  });
});

describe('Authorization header parsing', () => {
  it('splits scheme and credentials, case-insensitively', () => {
    assert.deepEqual(parseAuthorizationHeader('bEaReR tva_x'), {
      scheme: 'bearer',
      credentials: 'tva_x',
    });
    assert.deepEqual(parseAuthorizationHeader('Digest abc'), {
      scheme: 'other',
      credentials: 'abc',
    });
    assert.equal(parseAuthorizationHeader('Bearer'), undefined);
    assert.equal(parseAuthorizationHeader('Bearer a b'), undefined);
    assert.equal(parseAuthorizationHeader(undefined), undefined);
  });

  it('decodes Basic credentials at the first colon', () => {
    const encoded = Buffer.from('alice:pass:word').toString('base64');
    assert.deepEqual(decodeBasicCredentials(encoded), { user: 'alice', password: 'pass:word' });
    assert.equal(decodeBasicCredentials(Buffer.from('no-colon').toString('base64')), undefined);
    assert.equal(decodeBasicCredentials(Buffer.from(':pw').toString('base64')), undefined);
    assert.equal(decodeBasicCredentials('!!!'), undefined);
  });
});
