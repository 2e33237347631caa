import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '../common/oauth-error';
import { canonicalRedirectUri, registrableRedirectUri, sameRedirectUri } from './redirect-uri';

const refusal = (raw: string): string => {
  try {
    registrableRedirectUri(raw);
  } catch (error) {
    assert.ok(error instanceof OAuthError);
    assert.equal(error.code, 'invalid_request');
    return error.description;
  }
  return assert.fail(`${raw} was accepted`);
};

describe('redirect URIs', () => {
  it('registers https anywhere and plain http on loopback hosts, in canonical form', () => {
    for (const [raw, canonical] of [
      ['https://app.example/cb', 'https://app.example/cb'],
      ['HTTPS://App.Example:443/cb?b=2&a=1', 'https://app.example/cb?b=2&a=1'],
      ['https://app.example', 'https://app.example/'],
      ['https://app.example/a b', 'https://app.example/a%20b'],
      ['https://xn--bcher-kva.example/cb', 'https://xn--bcher-kva.example/cb'],
      ['https://bücher.example/cb', 'https://xn--bcher-kva.example/cb'],
      ['http://127.0.0.1:18399', 'http://127.0.0.1:18399/'],
      ['http://127.1/cb', 'http://127.0.0.1/cb'],
      ['http://[::1]:8080/cb', 'http://[::1]:8080/cb'],
      ['http://[0:0:0:0:0:0:0:1]/cb', 'http://[::1]/cb'],
      ['http://localhost:3000/cb', 'http://localhost:3000/cb'],
      ['http://LocalHost/cb', 'http://localhost/cb'],
    ] as const) {
      assert.equal(registrableRedirectUri(raw), canonical, raw);
    }
  });

  it('refuses plain http off loopback, other schemes and what is not absolute', () => {
    for (const raw of [
      'http://app.example/cb',
      'http://localhost.evil.example/cb',
      'http://127.0.0.2/cb',
      'http://[::2]/cb',
      'ftp://app.example/cb',
      'javascript:alert(1)',
      'com.example.app:/cb',
      '/cb',
      'app.example/cb',
      'http://[oops',
      '',
    ]) {
      assert.match(refusal(raw), /https/, raw);
    }
  });

  it('refuses a user name or password, and a fragment, even an empty one', () => {
    for (const raw of [
      'https://user:pw@app.example/cb',
      'https://user@app.example/cb',
      'https://:pw@app.example/cb',
      'https://app.example@evil.example/cb',
      'http://evil@127.0.0.1/cb',
    ]) {
      assert.match(refusal(raw), /user name or password/, raw);
    }
    for (const raw of ['https://app.example/cb#x', 'https://app.example/cb#']) {
      assert.match(refusal(raw), /fragment/, raw);
    }
  });

  it('refuses more than 2000 characters, as sent or in canonical form', () => {
    const base = 'https://app.example/';
    assert.equal(registrableRedirectUri(base + 'a'.repeat(2000 - base.length)).length, 2000);
    assert.match(refusal(base + 'a'.repeat(2001 - base.length)), /2000/);
    // 1,990 characters as sent, 2,010 once the spaces are percent-encoded.
    assert.match(refusal(base + ' '.repeat(10) + 'a'.repeat(1960)), /2000/);
  });

  it('matches in canonical form on both sides, never an unparseable value', () => {
    assert.equal(sameRedirectUri('http://127.0.0.1:18399', 'http://127.0.0.1:18399/'), true);
    assert.equal(sameRedirectUri('http://127.0.0.1:18399/', 'http://127.0.0.1:18399'), true);
    assert.equal(sameRedirectUri('HTTP://Legacy.Example:80/cb', 'http://legacy.example/cb'), true);
    assert.equal(sameRedirectUri('https://app.example/cb/', 'https://app.example/cb'), false);
    assert.equal(sameRedirectUri('https://app.example/cb?x', 'https://app.example/cb'), false);
    assert.equal(sameRedirectUri('http://app.example/cb', 'https://app.example/cb'), false);
    assert.equal(sameRedirectUri('http://127.0.0.1:1/cb', 'http://127.0.0.1:2/cb'), false);
    assert.equal(sameRedirectUri(undefined, 'https://app.example/cb'), false);
    assert.equal(sameRedirectUri('http://[oops', 'http://[oops'), false);
    assert.equal(canonicalRedirectUri('not a url'), null);
  });
});
