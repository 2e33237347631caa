import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, type FindOptionsWhere, In, IsNull, type Repository } from 'typeorm';
import { retryOnLockConflict } from '../database/lock-conflicts';
import { Client } from '../clients/client.entity';
import { Token, TOKEN_TYPES, type TokenType } from './token.entity';

const LAST_USED_RESOLUTION_MS = 60_000;

/** What the token list (SPEC §3) and the admin API select. */
export interface ActiveTokenQuery {
  username: string;
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
 */
@Injectable()
export class TokenRepository {
  constructor(@InjectRepository(Token) private readonly tokens: Repository<Token>) {}

  private repo(manager?: EntityManager): Repository<Token> {
    return manager ? manager.getRepository(Token) : this.tokens;
  }

  async insert(tokens: Token[], manager?: EntityManager): Promise<void> {
    await this.repo(manager).insert(tokens);
  }

  /** Looks a token up by the digest of its raw value, with its client. */
  findByDigest(digest: string): Promise<Token | null> {
    return this.tokens
      .createQueryBuilder('t')
      .leftJoinAndMapOne('t.client', Client, 'c', 'c.id = t.client_id')
      .where('t.digest = :digest', { digest })
      .getOne();
  }

  findByHandle(handle: string): Promise<Token | null> {
    return this.tokens.findOneBy({ handle });
  }

  /**
   * One page of a user's live tokens of one type, oldest first, with their clients, and the
   * number of matches before paging. Served by IDX_tokens_list (username, type, expires_at,
   * client_id): a range over this user's rows only.
   */
  async findActive(query: ActiveTokenQuery): Promise<{ total: number; tokens: Token[] }> {
    const qb = this.tokens
      .createQueryBuilder('t')
      .where('t.username = :username', { username: query.username })
      .andWhere('t.type IN (:...types)', { types: query.type ? [query.type] : TOKEN_TYPES })
      .andWhere('t.expires_at > :now', { now: query.now })
      .andWhere('t.revoked_at IS NULL');
    if (query.clientId !== undefined) {
      qb.andWhere('t.client_id = :clientId', { clientId: query.clientId });
    }
    if (query.excludeClientId !== undefined) {
      qb.andWhere('t.client_id <> :excludeClientId', { excludeClientId: query.excludeClientId });
    }
    const total = await qb.getCount();
    if (query.maxResults === 0 || total <= query.start) return { total, tokens: [] };
    const tokens = await qb
      .leftJoinAndMapOne('t.client', Client, 'c', 'c.id = t.client_id')
      .orderBy('t.created_at', 'ASC')
      .addOrderBy('t.handle', 'ASC')
      .offset(query.start)
      .limit(query.maxResults)
      .getMany();
    return { total, tokens };
  }

  /**
   * Revokes the live tokens matching `where` (a conditional UPDATE) and returns how many this
   * call revoked. On its own it is run again on a lock conflict; inside a transaction, the
   * transaction's owner runs the whole transaction again instead.
   */
  private revokeWhere(
    where: FindOptionsWhere<Token>,
    now: Date,
    manager?: EntityManager,
    also: Partial<Pick<Token, 'rotated'>> = {},
  ): Promise<number> {
    const run = async (): Promise<number> => {
      const result = await this.repo(manager).update(
        { ...where, revokedAt: IsNull() },
        { revokedAt: now, ...also },
      );
      return result.affected ?? 0;
    };
    return manager ? run() : retryOnLockConflict(run);
  }

  /** Revokes one token if it is still live; true when this call revoked it. */
  async revokeByHandle(handle: string, now: Date, manager?: EntityManager): Promise<boolean> {
    return (await this.revokeWhere({ handle }, now, manager)) > 0;
  }

  /** Marks a refresh token as exchanged; true only for the one request that wins the race. */
  async rotate(handle: string, now: Date, manager: EntityManager): Promise<boolean> {
    return (await this.revokeWhere({ handle }, now, manager, { rotated: true })) > 0;
  }

  /** The access tokens that were issued together with a refresh token. */
  revokeIssuedWith(
    refreshTokenHandle: string,
    now: Date,
    manager?: EntityManager,
  ): Promise<number> {
    return this.revokeWhere({ refreshTokenHandle }, now, manager);
  }

  revokeFamily(familyId: string, now: Date, manager?: EntityManager): Promise<number> {
    return this.revokeWhere({ familyId }, now, manager);
  }

  revokeForUserAndClient(username: string, clientId: string, now: Date): Promise<number> {
    return this.revokeWhere({ username, clientId }, now);
  }

  revokeForUser(username: string, now: Date): Promise<number> {
    return this.revokeWhere({ username }, now);
  }

  revokeForClient(clientId: string, now: Date, manager?: EntityManager): Promise<number> {
    return this.revokeWhere({ clientId }, now, manager);
  }

  /** The clients holding a live token (of either type) of this user. */
  async findClientIdsWithLiveTokens(username: string, now: Date): Promise<string[]> {
    const rows = await this.tokens
      .createQueryBuilder('t')
      .select('DISTINCT t.client_id', 'clientId')
      .where('t.username = :username', { username })
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
    await retryOnLockConflict(() =>
      this.tokens
        .createQueryBuilder()
        .update(Token)
        .set({ lastUsedAt: now })
        .where('handle = :handle', { handle: token.handle })
        .andWhere('(last_used_at IS NULL OR last_used_at <= :since)', { since: new Date(since) })
        .execute(),
    );
  }

  /**
   * Deletes at most `limit` expired or revoked rows and returns how many it deleted. Neither
   * state is ever undone, so a row selected here cannot have become live before the delete.
   */
  async purgeBatch(now: Date, limit: number): Promise<number> {
    const rows = await this.tokens
      .createQueryBuilder('t')
      .select('t.handle', 'handle')
      .where('(t.expires_at <= :now OR t.revoked_at IS NOT NULL)', { now })
      .limit(limit)
      .getRawMany<{ handle: string }>();
    if (rows.length === 0) return 0;
    const result = await this.tokens.delete({ handle: In(rows.map((row) => row.handle)) });
    return result.affected ?? rows.length;
  }
}
