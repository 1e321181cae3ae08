import { randomUUID } from 'node:crypto';
import { In, IsNull } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { MfaChallengeEntity, MfaTotpEntity, RecoveryCodeEntity, type MfaChallengePurpose } from './mfa.entity';

export class MfaRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findTotp(userId: string, tx?: Tx): Promise<MfaTotpEntity | null> {
    return (tx ?? this.uow.reader).getRepository(MfaTotpEntity).findOneBy({ userId });
  }

  /** Which of these users have MFA on. */
  async enabledUsers(userIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.uow.reader.getRepository(MfaTotpEntity).findBy({ userId: In([...userIds]) });
    return new Set(rows.filter((r) => r.confirmedAt).map((r) => r.userId));
  }

  /** Starts (or restarts) an enrolment; never touches a confirmed factor. False when one exists. */
  async savePending(tx: Tx, userId: string, secretCiphertext: Buffer, at: Date): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO identity.mfa_totp (user_id, secret_ciphertext, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET secret_ciphertext = EXCLUDED.secret_ciphertext, created_at = EXCLUDED.created_at, last_used_step = NULL
       WHERE identity.mfa_totp.confirmed_at IS NULL
       RETURNING user_id`,
      [userId, secretCiphertext, at],
    );
    return rows.length === 1;
  }

  /**
   * Records `step` as used, only if it is later than the last step used: the compare-and-set
   * that makes a code single-use even when two requests race with it.
   */
  async useStep(tx: Tx, userId: string, step: number, confirmAt?: Date): Promise<boolean> {
    const [, affected]: [unknown, number] = await tx.query(
      `UPDATE identity.mfa_totp SET last_used_step = $2, confirmed_at = COALESCE(confirmed_at, $3)
       WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)`,
      [userId, step, confirmAt ?? null],
    );
    return affected === 1;
  }

  async deleteFactor(tx: Tx, userId: string): Promise<void> {
    await tx.getRepository(MfaTotpEntity).delete({ userId });
    await tx.getRepository(RecoveryCodeEntity).delete({ userId });
  }

  /** Voids every earlier recovery code of the user and stores the new ones. */
  async replaceRecoveryCodes(tx: Tx, userId: string, hashes: Buffer[], at: Date): Promise<void> {
    await tx.getRepository(RecoveryCodeEntity).delete({ userId });
    await tx.getRepository(RecoveryCodeEntity).insert(hashes.map((codeHash) => ({ id: randomUUID(), userId, codeHash, usedAt: null, createdAt: at })));
  }

  unusedRecoveryCodes(userId: string, tx?: Tx): Promise<RecoveryCodeEntity[]> {
    return (tx ?? this.uow.reader).getRepository(RecoveryCodeEntity).findBy({ userId, usedAt: IsNull() });
  }

  /** Spends a code; false when it was spent meanwhile. */
  async useRecoveryCode(tx: Tx, id: string, at: Date): Promise<boolean> {
    const result = await tx.getRepository(RecoveryCodeEntity).update({ id, usedAt: IsNull() }, { usedAt: at });
    return (result.affected ?? 0) === 1;
  }

  async insertChallenge(tx: Tx, challenge: { userId: string; purpose: MfaChallengePurpose; createdAt: Date; expiresAt: Date }): Promise<MfaChallengeEntity> {
    const row = { id: randomUUID(), attempts: 0, completedAt: null, ...challenge };
    await tx.getRepository(MfaChallengeEntity).insert(row);
    return Object.assign(new MfaChallengeEntity(), row);
  }

  /** Counts an attempt at a live challenge and returns it, or null when it is unknown, used up or expired. */
  async attemptChallenge(id: string, now: Date, maxAttempts: number): Promise<MfaChallengeEntity | null> {
    // UPDATE answers [rows, affected] through TypeORM.
    const [rows]: [{ id: string; user_id: string; purpose: MfaChallengePurpose }[], number] = await this.uow.reader.query(
      `UPDATE identity.mfa_challenges SET attempts = attempts + 1
       WHERE id = $1 AND completed_at IS NULL AND expires_at > $2 AND attempts < $3
       RETURNING id, user_id, purpose`,
      [id, now, maxAttempts],
    );
    if (rows.length === 0) return null;
    return Object.assign(new MfaChallengeEntity(), { id: rows[0].id, userId: rows[0].user_id, purpose: rows[0].purpose });
  }

  async completeChallenge(tx: Tx, id: string, at: Date): Promise<boolean> {
    const result = await tx.getRepository(MfaChallengeEntity).update({ id, completedAt: IsNull() }, { completedAt: at });
    return (result.affected ?? 0) === 1;
  }

  async deleteChallengesBefore(at: Date): Promise<void> {
    await this.uow.reader.query(`DELETE FROM identity.mfa_challenges WHERE expires_at < $1`, [at]);
  }
}
