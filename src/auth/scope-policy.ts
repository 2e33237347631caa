import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '../clients/client.entity';
import { ALL_SCOPE, APP_CONFIG, type AppConfig } from '../config/app-config';
import { OAuthError } from '../common/oauth-error';

/** Splits a space-separated scope parameter into sorted, distinct names (RFC 6749 §3.3). */
export function parseScope(raw: string): string[] {
  return [...new Set(raw.split(' ').filter((s) => s !== ''))].sort();
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}

/** Which scopes a client may be granted. */
@Injectable()
export class ScopePolicy {
  private readonly known: ReadonlySet<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.known = new Set(config.scopes);
  }

  /**
   * The sorted scopes of `raw`, or invalid_scope when it is empty, names an unknown scope,
   * or asks for `all` on behalf of a client that is not super.
   */
  grantable(raw: string | undefined, client: Client): string[] {
    const scopes = parseScope(raw ?? '');
    if (scopes.length === 0) throw OAuthError.invalidScope('The scope parameter is required.');
    for (const scope of scopes) {
      if (scope === ALL_SCOPE) {
        if (!client.isSuper)
          throw OAuthError.invalidScope('Only super clients may request scope "all".');
      } else if (!this.known.has(scope)) {
        throw OAuthError.invalidScope(`Unknown scope "${scope.slice(0, 100)}".`);
      }
    }
    return scopes;
  }
}
