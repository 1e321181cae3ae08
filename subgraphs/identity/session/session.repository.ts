import { In, IsNull } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { SessionEntity } from './session.entity';

export class SessionRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(tx: Tx, session: SessionEntity): Promise<void> {
    await tx.getRepository(SessionEntity).insert(session);
  }

  /** The unrevoked session with this token hash, and whether its account still lacks an email. */
  async findActiveByTokenHash(tokenHash: Buffer): Promise<(Pick<SessionEntity, 'id' | 'userId' | 'createdAt' | 'lastSeenAt' | 'expiresAt'> & { emailMissing: boolean }) | null> {
    const rows: { id: string; user_id: string; created_at: Date; last_seen_at: Date; expires_at: Date; email_missing: boolean }[] = await this.uow.reader.query(
      `SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, (u.email = '') AS email_missing
       FROM identity.sessions s JOIN identity.users u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND s.revoked_at IS NULL`,
      [tokenHash],
    );
    if (rows.length === 0) return null;
    const r = rows[0];
    return { id: r.id, userId: r.user_id, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at, emailMissing: r.email_missing };
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
