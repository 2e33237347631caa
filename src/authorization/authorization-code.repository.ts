import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, IsNull, LessThanOrEqual, type Repository } from 'typeorm';
import { retryOnLockConflict } from '../database/lock-conflicts';
import { AuthorizationCode } from './authorization-code.entity';

@Injectable()
export class AuthorizationCodeRepository {
  constructor(
    @InjectRepository(AuthorizationCode) private readonly codes: Repository<AuthorizationCode>,
  ) {}

  async insert(code: AuthorizationCode): Promise<void> {
    await this.codes.insert(code);
  }

  findByDigest(digest: string): Promise<AuthorizationCode | null> {
    return this.codes.findOneBy({ digest });
  }

  /**
   * Marks a code as used, in the transaction that issues its tokens. Exactly one of any number
   * of concurrent redemptions (and spends) sees `true` (RFC 6749 §4.1.2: a code is single-use).
   */
  async markRedeemed(digest: string, now: Date, manager: EntityManager): Promise<boolean> {
    const result = await manager
      .getRepository(AuthorizationCode)
      .update({ digest, redeemedAt: IsNull() }, { redeemedAt: now });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Spends a code that a refused redemption presented (README: Security model): the same
   * conditional UPDATE as markRedeemed, on its own, so that a correct request after a wrong one
   * is refused. A concurrent redemption and this call are settled by the row: whichever
   * updates it first wins, and the other changes nothing. True when this call spent it.
   */
  spend(digest: string, now: Date): Promise<boolean> {
    return retryOnLockConflict(() => this.markRedeemed(digest, now, this.codes.manager));
  }

  /** Codes of a client that is being deregistered can no longer be redeemed. */
  async deleteForClient(clientId: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(AuthorizationCode).delete({ clientId });
  }

  /** Codes of a user who is being removed can no longer be redeemed. */
  async deleteForUser(userId: number, manager: EntityManager): Promise<void> {
    await manager.getRepository(AuthorizationCode).delete({ userId });
  }

  /** Codes of a user for one client (a plugin the user uninstalls) can no longer be redeemed. */
  async deleteForUserAndClient(
    userId: number,
    clientId: string,
    manager: EntityManager,
  ): Promise<void> {
    await manager.getRepository(AuthorizationCode).delete({ userId, clientId });
  }

  /**
   * Deletes expired codes. A redeemed code is kept until it expires so that a replay inside
   * its lifetime is still recognised and revokes what the first redemption issued.
   */
  async purgeExpiredBatch(now: Date, limit: number): Promise<number> {
    const rows = await this.codes.find({
      select: { digest: true },
      where: { expiresAt: LessThanOrEqual(now) },
      take: limit,
    });
    if (rows.length === 0) return 0;
    const result = await this.codes.delete({ digest: In(rows.map((row) => row.digest)) });
    return result.affected ?? rows.length;
  }
}
