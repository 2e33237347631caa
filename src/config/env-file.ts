import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from './app-config';

/** `NAME=value`, optionally after `export`; what Node's own .env parser reads as a variable. */
const ASSIGNMENT = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=(.*)$/;

/**
 * Reads `.env` from the working directory when it is there (real environment variables win,
 * as with Node's own loader, which does the parsing). Node skips a line it cannot read without a
 * word, so a typo would silently leave a setting at its default: every line is checked first,
 * and a malformed one stops start-up with the file and the line number.
 */
export function loadEnvFile(path = '.env'): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  let openQuote: string | undefined;
  lines.forEach((line, index) => {
    if (openQuote !== undefined) {
      // Inside a multi-line quoted value: it ends on the line that closes the quote.
      if (line.includes(openQuote)) openQuote = undefined;
      return;
    }
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const value = ASSIGNMENT.exec(line)?.[1]?.trim();
    if (value === undefined) {
      throw new ConfigError(
        path,
        `line ${index + 1} is not NAME=value: ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === '`') && !value.slice(1).includes(quote)) {
      openQuote = quote;
    }
  });
  if (openQuote !== undefined) {
    throw new ConfigError(path, `a quoted value (${openQuote}) is never closed`);
  }
  process.loadEnvFile(path);
}
