import { In, IsNull } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { SessionEntity } from './session.entity';

export class SessionRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(tx: Tx, session: SessionEntity): Promise<void> {
    await tx.getRepository(SessionEntity).insert(session);
  }

  findActiveByTokenHash(tokenHash: Buffer): Promise<SessionEntity | null> {
    return this.uow.reader.getRepository(SessionEntity).findOneBy({ tokenHash, revokedAt: IsNull() });
  }

  listActiveForUsers(userIds: readonly string[], now: Date): Promise<SessionEntity[]> {
    return this.uow.reader
      .getRepository(SessionEntity)
      .createQueryBuilder('s')
      .where({ userId: In([...userIds]), revokedAt: IsNull() })
      .andWhere('s.expires_at > :now', { now })
      .orderBy('s.last_seen_at', 'DESC')
      .getMany();
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.uow.reader.getRepository(SessionEntity).update({ id }, { lastSeenAt: at });
  }

  /** Revokes every active session of the user except one; returns how many were revoked. */
  async revokeAllExcept(userId: string, keepId: string | undefined, at: Date): Promise<number> {
    const q = this.uow.reader
      .getRepository(SessionEntity)
      .createQueryBuilder()
      .update()
      .set({ revokedAt: at })
      .where('user_id = :userId AND revoked_at IS NULL', { userId });
    if (keepId) q.andWhere('id <> :keepId', { keepId });
    const result = await q.execute();
    return result.affected ?? 0;
  }

  /** Ends every session of the user, in the caller's transaction. */
  async revokeAllInTx(tx: Tx, userId: string, at: Date): Promise<number> {
    const result = await tx.getRepository(SessionEntity).update({ userId, revokedAt: IsNull() }, { revokedAt: at });
    return result.affected ?? 0;
  }

  /** Revokes the user's session; false when no such active session exists. */
  async revoke(userId: string, id: string, at: Date): Promise<boolean> {
    const result = await this.uow.reader.getRepository(SessionEntity).update({ id, userId, revokedAt: IsNull() }, { revokedAt: at });
    return (result.affected ?? 0) > 0;
  }
}
