import type { Token } from '../tokens/token.entity';

/** The user a request acts for, as established by UserAuthService. */
export interface AuthenticatedUser {
  /** Who the user is (`users.id`, never reused): what ownership of tokens and clients is. */
  readonly userId: number;
  /** Their name, recorded on what they are issued or register. */
  readonly username: string;
  /** When the user proved who they are: now for Basic, the grant's time for a Bearer token. */
  readonly authenticatedAt: Date;
  /** The super client's access token the user authenticated with (Bearer), if any. */
  readonly bearerToken?: Token;
}
