import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Client } from '../clients/client.entity';
import { dateTimeColumn, flagColumn } from '../database/column-types';

export type TokenType = 'access_token' | 'refresh_token';
export const TOKEN_TYPES: readonly TokenType[] = ['access_token', 'refresh_token'];

/**
 * One issued access or refresh token. The raw bearer string is never stored: `digest` is its
 * SHA-256, and `handle` is a separate, non-secret name used to list and revoke it.
 */
@Entity('tokens')
// The token list and the admin API: one user's tokens of one type that have not expired.
@Index('IDX_tokens_list', ['userId', 'type', 'expiresAt', 'clientId'])
@Index('IDX_tokens_client', ['clientId'])
// Revoking a family, and whether a family still has a live token (the purge keeps its rotated
// refresh tokens while it has), answered from the index alone.
@Index('IDX_tokens_family', ['familyId', 'revokedAt', 'expiresAt'])
@Index('IDX_tokens_refresh', ['refreshTokenHandle'])
export class Token {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  handle!: string;

  @Index('UQ_tokens_digest', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  digest!: string;

  @Column({ type: 'varchar', length: 16 })
  type!: TokenType;

  /**
   * The user the token acts for (`users.id`, never reused), which decides whose it is; null
   * for client-credentials tokens.
   */
  @Column({ name: 'user_id', type: 'int', nullable: true })
  userId!: number | null;

  /**
   * The user's name when the token was issued: the subject introspection reports. Never used
   * to decide whose the token is, since a removed user's name can be given to a new user.
   */
  @Column({ type: 'varchar', length: 100, nullable: true })
  username!: string | null;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  /** Space-separated, sorted scope names. */
  @Column({ type: 'varchar', length: 2000 })
  scope!: string;

  /**
   * Every token descending from one authorization (code, password or client-credentials
   * grant, and all its refresh rotations) shares a family, so that a replayed code or
   * rotated refresh token can revoke all of it (RFC 9700 §4.14.2).
   */
  @Column({ name: 'family_id', type: 'varchar', length: 32 })
  familyId!: string;

  /** For access tokens: the refresh token issued with it, revoked together. */
  @Column({ name: 'refresh_token_handle', type: 'varchar', length: 32, nullable: true })
  refreshTokenHandle!: string | null;

  @Column(dateTimeColumn('created_at'))
  createdAt!: Date;

  @Column(dateTimeColumn('expires_at'))
  expiresAt!: Date;

  @Column(dateTimeColumn('user_authenticated_at', true))
  userAuthenticatedAt!: Date | null;

  @Column(dateTimeColumn('revoked_at', true))
  revokedAt!: Date | null;

  /**
   * When an access token was last presented as a bearer or introspected. Written at most
   * once a minute per token, so the hot path does not write on every request.
   */
  @Column(dateTimeColumn('last_used_at', true))
  lastUsedAt!: Date | null;

  /** A refresh token revoked because it was exchanged; presenting it again is reuse. */
  @Column(flagColumn('rotated'))
  rotated!: boolean;

  /** The client it was issued to, when a query joins it in; not a column. */
  client?: Client;
}
