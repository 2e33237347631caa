import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { OAuthError } from '../common/oauth-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RevealStore, type RevealAudience } from './reveal-store';
import type { Token } from './token.entity';

/**
 * Reveal once (README: Security model, personal tokens). A personal token issued through the
 * super client's own page is shown in full, once, in the first token list of that super client
 * for that user within PERSONAL_TOKEN_REVEAL_WINDOW after issuance; every other list shows its
 * handle. Until then its raw value waits in the RevealStore, never in the database.
 */
@Injectable()
export class PersonalTokenReveal implements OnApplicationShutdown {
  private readonly windowMs: number;
  private readonly logger = new Logger('PersonalTokenReveal');

  constructor(
    private readonly store: RevealStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.windowMs = config.personalTokenRevealWindow * 1000;
  }

  /**
   * Keeps a just-issued access token for `audience`'s next token list. Called inside the
   * issuing transaction: should the store fail, nothing is issued (503), rather than a token
   * the user could never see.
   */
  async offer(audience: RevealAudience, handle: string, rawToken: string): Promise<void> {
    try {
      await this.store.put(audience, handle, rawToken, new Date(Date.now() + this.windowMs));
    } catch (error) {
      // The message only: a failed command's arguments hold the raw token.
      this.logger.warn(`could not keep a personal token: ${(error as Error).message}`);
      throw new OAuthError(
        503,
        'temporarily_unavailable',
        'The token could not be kept for the token list; try again shortly.',
        { 'Retry-After': '1' },
      );
    }
  }

  /**
   * The raw values waiting for `audience` among a page of the token list, handle → raw,
   * taken so that no other list shows them again. Only access tokens issued within the window
   * can be waiting, so an ordinary page costs no lookup. When the store fails, the page shows
   * handles and the entries wait for a later list.
   */
  async takeForPage(
    audience: RevealAudience,
    page: readonly Token[],
    now: Date,
  ): Promise<ReadonlyMap<string, string>> {
    const candidates = page
      .filter(
        (token) =>
          token.type === 'access_token' &&
          token.createdAt.getTime() > now.getTime() - this.windowMs,
      )
      .map((token) => token.handle);
    if (candidates.length === 0) return new Map();
    try {
      return await this.store.take(audience, candidates, now);
    } catch (error) {
      this.logger.warn(`could not read personal tokens to reveal: ${(error as Error).message}`);
      return new Map();
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.store.close();
  }
}
