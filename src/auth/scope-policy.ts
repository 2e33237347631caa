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
   * or asks for `all` on behalf of a client that is not super. For the authorization request
   * and the password grant, as in Kustvakt: a user is asked for, or logs in for, exactly what
   * is named.
   */
  grantable(raw: string | undefined, client: Client): string[] {
    const scopes = parseScope(raw ?? '');
    if (scopes.length === 0) throw OAuthError.invalidScope('The scope parameter is required.');
    for (const scope of scopes) {
      const refusal = this.refusal(scope, client);
      if (refusal !== undefined) throw OAuthError.invalidScope(refusal);
    }
    return scopes;
  }

  /**
   * For client_credentials: the requested scopes the client may hold, leaving out the others
   * (unknown names, `all` for a client that is not super). RFC 6749 §3.3 lets the server grant
   * less than was asked for, and the token response's `scope` then says what was granted;
   * Kustvakt narrows this grant the same way (`scope=preferred_username client_info` gets
   * `client_info`). invalid_scope only when no scope was requested or none is left. A grant
   * narrowed like this never holds more than `grantable` would give.
   */
  narrowed(raw: string | undefined, client: Client): string[] {
    const requested = parseScope(raw ?? '');
    if (requested.length === 0) {
      throw OAuthError.invalidScope('The scope parameter is required.');
    }
    const scopes = requested.filter((scope) => this.refusal(scope, client) === undefined);
    if (scopes.length === 0) {
      const [only, ...others] = requested;
      throw OAuthError.invalidScope(
        (others.length === 0 && only !== undefined && this.refusal(only, client)) ||
          'None of the requested scopes can be granted to this client.',
      );
    }
    return scopes;
  }

  /** Why `client` may not hold `scope`, or undefined when it may. */
  private refusal(scope: string, client: Client): string | undefined {
    if (scope === ALL_SCOPE) {
      return client.isSuper ? undefined : 'Only super clients may request scope "all".';
    }
    return this.known.has(scope) ? undefined : `Unknown scope "${scope.slice(0, 100)}".`;
  }
}
