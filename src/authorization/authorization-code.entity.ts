import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { dateTimeColumn } from '../database/column-types';

/** An authorization code issued by /oauth2/authorize, stored only as its SHA-256 digest. */
@Entity('authorization_codes')
@Index('IDX_authorization_codes_expires', ['expiresAt'])
export class AuthorizationCode {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  digest!: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  /** The user who authorized the client (`users.id`); the code's tokens act for this user. */
  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  /** The user's name at authorization, recorded on the tokens as their subject. */
  @Column({ type: 'varchar', length: 100 })
  username!: string;

  @Column({ name: 'redirect_uri', type: 'varchar', length: 2000 })
  redirectUri!: string;

  /** Whether the authorize request named redirect_uri; then the token request must too. */
  @Column({ name: 'redirect_uri_sent', type: 'boolean', default: false })
  redirectUriSent!: boolean;

  @Column({ type: 'varchar', length: 2000 })
  scope!: string;

  /** PKCE S256 challenge (RFC 7636); null when the client sent none. */
  @Column({ name: 'code_challenge', type: 'varchar', length: 128, nullable: true })
  codeChallenge!: string | null;

  /** The grant family the code's tokens will belong to, so a replay can revoke them. */
  @Column({ name: 'family_id', type: 'varchar', length: 32 })
  familyId!: string;

  /**
   * The super client whose own page asked for this code (README: Security model, personal
   * tokens): the access token it is exchanged for by a public client is revealed once in that
   * super client's token list. Null for every other code.
   */
  @Column({ name: 'reveal_to_client_id', type: 'varchar', length: 64, nullable: true })
  revealToClientId!: string | null;

  @Column(dateTimeColumn('user_authenticated_at'))
  userAuthenticatedAt!: Date;

  @Column(dateTimeColumn('created_at'))
  createdAt!: Date;

  @Column(dateTimeColumn('expires_at'))
  expiresAt!: Date;

  @Column(dateTimeColumn('redeemed_at', true))
  redeemedAt!: Date | null;
}
