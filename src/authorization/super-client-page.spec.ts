import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Client } from '../clients/client.entity';
import { Token } from '../tokens/token.entity';
import { redirectUriUnder, superClientPage } from './super-client-page';

describe('redirectUriUnder (the super client prefix rule)', () => {
  const KALAMAR = 'https://korap.example/';
  const PAGE = 'https://korap.example/settings/oauth/abc/token?name=My+token';

  it('accepts a URI below a registered path ending in /, query included, in canonical form', () => {
    assert.equal(redirectUriUnder(PAGE, KALAMAR), PAGE);
    assert.equal(
      redirectUriUnder('HTTPS://KORAP.example:443/x', KALAMAR),
      'https://korap.example/x',
    );
    assert.equal(redirectUriUnder('https://korap.example', KALAMAR), KALAMAR);
  });

  it('refuses another scheme, host or port', () => {
    for (const other of [
      'http://korap.example/settings/oauth/abc/token',
      'https://evil.example/settings/oauth/abc/token',
      'https://korap.example.evil.example/settings',
      'https://sub.korap.example/settings',
      'https://korap.example:8443/settings',
    ]) {
      assert.equal(redirectUriUnder(other, KALAMAR), null, other);
    }
  });

  it('matches a registered path without a trailing / segment-wise', () => {
    const registered = 'https://korap.example/settings';
    assert.equal(redirectUriUnder('https://korap.example/settings', registered), registered);
    assert.equal(
      redirectUriUnder('https://korap.example/settings/oauth/x/token?name=a', registered),
      'https://korap.example/settings/oauth/x/token?name=a',
    );
    for (const sibling of [
      'https://korap.example/settingsX',
      'https://korap.example/settings.evil',
      'https://korap.example/setting',
      'https://korap.example/',
    ]) {
      assert.equal(redirectUriUnder(sibling, registered), null, sibling);
    }
  });

  it('compares canonical paths: dot segments resolved, so they cannot climb out', () => {
    const registered = 'https://korap.example/settings/';
    for (const climbing of [
      'https://korap.example/settings/../admin',
      'https://korap.example/settings/%2e%2e/admin',
      'https://korap.example/settings/./../admin',
      'https://korap.example/settings\\..\\admin',
    ]) {
      assert.equal(redirectUriUnder(climbing, registered), null, climbing);
    }
  });

  it('refuses user info and fragments, even empty ones, and what is not a URL', () => {
    for (const bad of [
      'https://user:pw@korap.example/settings',
      'https://korap.example@evil.example/settings',
      'https://korap.example/settings#frag',
      'https://korap.example/settings#',
      '/settings/oauth',
      'not a url',
    ]) {
      assert.equal(redirectUriUnder(bad, KALAMAR), null, bad);
    }
  });

  it('refuses a URI longer than the code can hold once canonical', () => {
    const long = `https://korap.example/${'a'.repeat(1990)}`;
    assert.equal(redirectUriUnder(long, KALAMAR), null);
    assert.equal(redirectUriUnder(long.slice(0, 2000), KALAMAR), long.slice(0, 2000));
  });
});

describe('superClientPage', () => {
  const superClient = Object.assign(new Client(), {
    id: 'kalamar',
    isSuper: true,
    redirectUri: 'https://korap.example/',
  });
  const session = (client: Client): Token => Object.assign(new Token(), { client });
  const alice = (bearerClient: Client | undefined): AuthenticatedUser => ({
    userId: 7,
    username: 'alice',
    authenticatedAt: new Date(),
    ...(bearerClient === undefined ? {} : { bearerToken: session(bearerClient) }),
  });
  const clientOf = (userId: number | null): Client =>
    Object.assign(new Client(), { id: 'c1', type: 'PUBLIC', registeredByUserId: userId });
  const PAGE = 'https://korap.example/settings/oauth/c1/token?name=x';

  it("is the super client's page for the user's own client, bound to the requested URI", () => {
    assert.deepEqual(superClientPage(alice(superClient), clientOf(7), PAGE), {
      superClientId: 'kalamar',
      redirectUri: PAGE,
    });
  });

  it("is not for another user's client, nor an operator's", () => {
    assert.equal(superClientPage(alice(superClient), clientOf(8), PAGE), null);
    assert.equal(superClientPage(alice(superClient), clientOf(null), PAGE), null);
  });

  it('needs a Bearer session of a super client with a registered redirect URI', () => {
    assert.equal(superClientPage(alice(undefined), clientOf(7), PAGE), null);
    assert.equal(
      superClientPage(alice({ ...superClient, isSuper: false }), clientOf(7), PAGE),
      null,
    );
    assert.equal(
      superClientPage(alice({ ...superClient, redirectUri: null }), clientOf(7), PAGE),
      null,
    );
  });

  it('needs a redirect_uri under the prefix', () => {
    assert.equal(superClientPage(alice(superClient), clientOf(7), undefined), null);
    assert.equal(
      superClientPage(alice(superClient), clientOf(7), 'https://evil.example/settings'),
      null,
    );
  });
});
