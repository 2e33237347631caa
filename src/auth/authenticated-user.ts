import type { Token } from '../tokens/token.entity';

/** The user a request acts for, as established by UserAuthService. */
export interface AuthenticatedUser {
  readonly username: string;
  /** When the user proved who they are: now for Basic, the grant's time for a Bearer token. */
  readonly authenticatedAt: Date;
  /** The super client's access token the user authenticated with (Bearer), if any. */
  readonly bearerToken?: Token;
}
