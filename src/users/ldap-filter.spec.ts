import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FilterParser } from 'ldapts';
import { escapeFilterValue, loginFilter } from './ldap-filter';

describe('LDAP filter values (RFC 4515 §3)', () => {
  it('escapes * ( ) \\ and NUL, and nothing else', () => {
    assert.equal(escapeFilterValue('*'), '\\2a');
    assert.equal(escapeFilterValue('alice)(uid=*'), 'alice\\29\\28uid=\\2a');
    assert.equal(escapeFilterValue('\\00'), '\\5c00');
    assert.equal(escapeFilterValue('a\0b'), 'a\\00b');
    assert.equal(escapeFilterValue('jörg.müller@example.org'), 'jörg.müller@example.org');
  });

  it('puts the escaped login into every {login} of the template, taking $ literally', () => {
    assert.equal(loginFilter('(|(uid={login})(mail={login}))', 'a*'), '(|(uid=a\\2a)(mail=a\\2a))');
    assert.equal(loginFilter('(uid={login})', "$&$'$`"), "(uid=$&$'$`)");
  });

  it('leaves an equality match on the login as typed, whatever it holds', () => {
    for (const login of ['*', 'alice)(uid=*', '\\00', 'x\0', '(objectClass=*)', 'jörg']) {
      const filter = FilterParser.parseString(loginFilter('(uid={login})', login));
      assert.equal(filter.constructor.name, 'EqualityFilter', login);
      assert.equal((filter as unknown as { value: string }).value, login);
    }
  });
});
