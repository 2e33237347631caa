/** The user a request acts for, as established by UserAuthService. */
export interface AuthenticatedUser {
  readonly username: string;
  /** When the user proved who they are: now for Basic, the grant's time for a Bearer token. */
  readonly authenticatedAt: Date;
}
