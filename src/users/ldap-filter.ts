/**
 * RFC 4515 §3: in a filter's string form, a value must escape `*`, `(`, `)`, `\` and NUL as
 * `\` and two hex digits. Logins that break the username rule never get here (they hold no
 * such character); this is the second line of defence against filter injection.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(
    /[*()\\\0]/g,
    (character) => `\\${character.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** LDAP_SEARCH_FILTER with every `{login}` replaced by the escaped login. */
export function loginFilter(template: string, login: string): string {
  const escaped = escapeFilterValue(login);
  // A function, so that `$&` and friends in the login are not replacement patterns.
  return template.replaceAll('{login}', () => escaped);
}
