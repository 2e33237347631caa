import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, type Repository } from 'typeorm';
import { Client } from '../clients/client.entity';
import { CLIENT_ALIAS, CLIENT_COLUMNS } from '../clients/client.sql';
import { retryOnLockConflict } from '../database/lock-conflicts';
import { RawSql, type SqlRow } from '../database/raw-sql';
import { Token, TOKEN_TYPES, type TokenType } from './token.entity';
import {
  activeTokens,
  insertTokens,
  RECORD_USE,
  REVOKE,
  TOKEN_ALIAS,
  TOKEN_BY_DIGEST,
  TOKEN_COLUMNS,
} from './token.sql';

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Handles are base64url ids; anything else names no token and is not looked up (MySQL/MariaDB
 * compare with PAD SPACE: `abc ` would find `abc`).
 */
const HANDLE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** The row key of the joined client's id: null when a token's client is gone. */
const JOINED_CLIENT_ID = `${CLIENT_ALIAS}_id`;

/** What the token list (README: POST /oauth2/token/list) and the admin API select. */
export interface ActiveTokenQuery {
  userId: number;
  /** One type, or both when absent (admin API). */
  type?: TokenType;
  now: Date;
  /** Only tokens issued to this client. */
  clientId?: string;
  /** Leave out tokens issued to this client (the calling super client). */
  excludeClientId?: string;
  start: number;
  /** 0 counts without fetching rows. */
  maxResults: number;
}

/**
 * The only code that reads or writes the `tokens` table. Revocations are conditional
 * updates (`... AND revoked_at IS NULL`) whose affected-row count tells the caller whether it
 * won a race, so concurrent requests are settled by the database.
 *
 * The per-request paths (lookups, the list, revocations, issuing, recording use) send the
 * fixed statements of token.sql.ts through RawSql; the rare ones (purge, client list) keep
 * TypeORM's query builder.
 */
@Injectable()
export class TokenRepository {
  private readonly readToken: (row: SqlRow) => Token;
  private readonly readClient: (row: SqlRow) => Client;
  private readonly tokenValues: (token: Token) => unknown[];
  /** Parameters in the driver's form of the column they are compared with or written to. */
  private readonly value: {
    expiresAt: (date: Date) => unknown;
    revokedAt: (date: Date) => unknown;
    lastUsedAt: (date: Date) => unknown;
    rotated: (flag: boolean) => unknown;
  };

  constructor(
    @InjectRepository(Token) private readonly tokens: Repository<Token>,
    private readonly sql: RawSql,
  ) {
    this.readToken = sql.reader(Token, TOKEN_COLUMNS, `${TOKEN_ALIAS}_`);
    this.readClient = sql.reader(Client, CLIENT_COLUMNS, `${CLIENT_ALIAS}_`);
    this.tokenValues = sql.rowWriter(Token, TOKEN_COLUMNS);
    this.value = {
      expiresAt: sql.writer(Token, 'expiresAt'),
      revokedAt: sql.writer(Token, 'revokedAt'),
      lastUsedAt: sql.writer(Token, 'lastUsedAt'),
      rotated: sql.writer(Token, 'rotated'),
    };
  }

  async insert(tokens: Token[], manager?: EntityManager): Promise<void> {
    if (tokens.length === 0) return;
    await this.sql.change(
      insertTokens(tokens.length),
      tokens.flatMap((token) => this.tokenValues(token)),
      manager,
    );
  }

  /** Looks a token up by the digest of its raw value, with its client. */
  async findByDigest(digest: string): Promise<Token | null> {
    const [row] = await this.sql.select(TOKEN_BY_DIGEST, [digest]);
    return row ? this.readTokenWithClient(row) : null;
  }

  /** A token row joined to its client; a token whose client is gone has no `client`. */
  private readTokenWithClient(row: SqlRow): Token {
    const token = this.readToken(row);
    if (row[JOINED_CLIENT_ID] !== null && row[JOINED_CLIENT_ID] !== undefined) {
      token.client = this.readClient(row);
    }
    return token;
  }

  /**
   * One page of a user's live tokens, oldest first, with their clients, and the number of
   * matches before paging. The page comes first: a page that is short but not empty (or
   * short at the start, even empty) ends the list, so the total is known without a COUNT,
   * which the usual list of a few tokens then never needs. An empty page past the start, a
   * full page, or counting only (maxResults 0) asks the database.
   */
  async findActive(query: ActiveTokenQuery): Promise<{ total: number; tokens: Token[] }> {
    const { count, page } = activeTokens({
      bothTypes: query.type === undefined,
      withClientId: query.clientId !== undefined,
      withExcludedClientId: query.excludeClientId !== undefined,
    });
    const params: unknown[] = [
      query.userId,
      ...(query.type === undefined ? TOKEN_TYPES : [query.type]),
      this.value.expiresAt(query.now),
    ];
    if (query.clientId !== undefined) params.push(query.clientId);
    if (query.excludeClientId !== undefined) params.push(query.excludeClientId);
    let tokens: Token[] = [];
    if (query.maxResults > 0) {
      const rows = await this.sql.select(page, [...params, query.maxResults, query.start]);
      tokens = rows.map((row) => this.readTokenWithClient(row));
      if (tokens.length < query.maxResults && (tokens.length > 0 || query.start === 0)) {
        return { total: query.start + tokens.length, tokens };
      }
    }
    const [row] = await this.sql.select(count, params);
    return { total: Number(row?.total ?? 0), tokens };
  }

  /**
   * Runs a conditional revocation (token.sql.ts) and returns how many tokens this call
   * revoked. On its own it is run again on a lock conflict; inside a transaction, the
   * transaction's owner runs the whole transaction again instead.
   */
  private revoke(sql: string, params: unknown[], manager?: EntityManager): Promise<number> {
    const run = () => this.sql.change(sql, params, manager);
    return manager ? run() : retryOnLockConflict(run);
  }

  /** Revokes one token if it is still live; true when this call revoked it. */
  async revokeByHandle(handle: string, now: Date): Promise<boolean> {
    return (await this.revoke(REVOKE.byHandle, [this.value.revokedAt(now), handle])) > 0;
  }

  /**
   * Revokes the token with this handle, and the access tokens issued with it if it is a
   * refresh token, only if it is this user's: the ownership check is part of the one
   * statement, so no lookup comes first. True when this call revoked anything.
   */
  async revokeByHandleIfOwnedBy(userId: number, handle: string, now: Date): Promise<boolean> {
    if (!HANDLE_PATTERN.test(handle)) return false;
    const params = [this.value.revokedAt(now), handle, userId, handle, userId];
    return (await this.revoke(REVOKE.ownedWithIssued, params)) > 0;
  }

  /** Marks a refresh token as exchanged; true only for the one request that wins the race. */
  async rotate(handle: string, now: Date, manager: EntityManager): Promise<boolean> {
    const params = [this.value.revokedAt(now), this.value.rotated(true), handle];
    return (await this.revoke(REVOKE.rotate, params, manager)) > 0;
  }

  /** The access tokens that were issued together with a refresh token. */
  revokeIssuedWith(
    refreshTokenHandle: string,
    now: Date,
    manager?: EntityManager,
  ): Promise<number> {
    return this.revoke(REVOKE.issuedWith, [this.value.revokedAt(now), refreshTokenHandle], manager);
  }

  revokeFamily(familyId: string, now: Date, manager?: EntityManager): Promise<number> {
    return this.revoke(REVOKE.family, [this.value.revokedAt(now), familyId], manager);
  }

  /**
   * Whether the family has a live refresh token other than the one with digest `except`,
   * read in `manager`'s transaction (IDX_tokens_family).
   */
  familyHasLiveRefreshTokenBesides(
    familyId: string,
    except: string,
    now: Date,
    manager: EntityManager,
  ): Promise<boolean> {
    return manager
      .getRepository(Token)
      .createQueryBuilder('t')
      .where('t.family_id = :familyId AND t.revoked_at IS NULL AND t.expires_at > :now', {
        familyId,
        now: this.value.expiresAt(now),
      })
      .andWhere('t.type = :type AND t.digest <> :except', { type: 'refresh_token', except })
      .getExists();
  }

  revokeForUserAndClient(
    userId: number,
    clientId: string,
    now: Date,
    manager?: EntityManager,
  ): Promise<number> {
    const params = [this.value.revokedAt(now), userId, clientId];
    return this.revoke(REVOKE.userAndClient, params, manager);
  }

  revokeForUser(userId: number, now: Date, manager?: EntityManager): Promise<number> {
    return this.revoke(REVOKE.user, [this.value.revokedAt(now), userId], manager);
  }

  revokeForClient(clientId: string, now: Date, manager?: EntityManager): Promise<number> {
    return this.revoke(REVOKE.client, [this.value.revokedAt(now), clientId], manager);
  }

  /** The clients holding a live token (of either type) of this user. */
  async findClientIdsWithLiveTokens(userId: number, now: Date): Promise<string[]> {
    const rows = await this.tokens
      .createQueryBuilder('t')
      .select('DISTINCT t.client_id', 'clientId')
      .where('t.user_id = :userId', { userId })
      .andWhere('t.type IN (:...types)', { types: ['access_token', 'refresh_token'] })
      .andWhere('t.expires_at > :now', { now })
      .andWhere('t.revoked_at IS NULL')
      .getRawMany<{ clientId: string }>();
    return rows.map((row) => row.clientId);
  }

  /**
   * Records that an access token was used (as a bearer, or introspected), to the minute: a
   * token read less than a minute after its last recorded use costs no write at all, and the
   * conditional update keeps concurrent requests from writing twice.
   */
  async recordUse(token: Token, now: Date): Promise<void> {
    const since = now.getTime() - LAST_USED_RESOLUTION_MS;
    if (token.lastUsedAt !== null && token.lastUsedAt.getTime() > since) return;
    const params = [
      this.value.lastUsedAt(now),
      token.handle,
      this.value.lastUsedAt(new Date(since)),
    ];
    await retryOnLockConflict(() => this.sql.change(RECORD_USE, params));
  }

  /**
   * Deletes at most `limit` purgeable rows and returns how many it deleted: expired ones,
   * revoked ones that were not rotated, and rotated refresh tokens whose family has no live
   * token left. A rotated refresh token of a live family is kept until it expires (it keeps
   * the family's refresh expiry), so that presenting it again still revokes the family
   * (RFC 9700 §4.14.2). No selected row can become unpurgeable before the delete: expiry and
   * revocation are never undone, and a family without a live token never gets one again
   * (only a live refresh token, the single-use code, or a rotated refresh token while its
   * family has a live refresh token issues into a family). The NOT EXISTS probes
   * IDX_tokens_family.
   */
  async purgeBatch(now: Date, limit: number): Promise<number> {
    const rows = await this.tokens
      .createQueryBuilder('t')
      .select('t.handle', 'handle')
      .where(
        't.expires_at <= :now OR (t.revoked_at IS NOT NULL AND (t.rotated = :notRotated OR ' +
          'NOT EXISTS (SELECT 1 FROM tokens live_token WHERE live_token.family_id = t.family_id ' +
          'AND live_token.revoked_at IS NULL AND live_token.expires_at > :now)))',
        { now, notRotated: this.value.rotated(false) },
      )
      .limit(limit)
      .getRawMany<{ handle: string }>();
    if (rows.length === 0) return 0;
    const result = await this.tokens.delete({ handle: In(rows.map((row) => row.handle)) });
    return result.affected ?? rows.length;
  }
}
