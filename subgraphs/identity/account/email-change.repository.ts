import type { Tx, UnitOfWork } from '../../kit/transaction';

export interface PendingEmailChange {
  userId: string;
  newEmail: string;
  codeHash: Buffer;
  expiresAt: Date;
}

/** At most one pending email change per user; a new request replaces the old one. */
export class EmailChangeRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async save(tx: Tx, change: PendingEmailChange): Promise<void> {
    await tx.query(
      `INSERT INTO identity.email_changes (user_id, new_email, code_hash, expires_at, attempts) VALUES ($1, $2, $3, $4, 0)
       ON CONFLICT (user_id) DO UPDATE SET new_email = EXCLUDED.new_email, code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at, attempts = 0`,
      [change.userId, change.newEmail, change.codeHash, change.expiresAt],
    );
  }

  /** Counts a try at the user's live pending change and returns it, or null (none, expired, too many tries). */
  async attempt(userId: string, now: Date, maxAttempts: number): Promise<PendingEmailChange | null> {
    const [rows]: [{ user_id: string; new_email: string; code_hash: Buffer; expires_at: Date }[], number] = await this.uow.reader.query(
      `UPDATE identity.email_changes SET attempts = attempts + 1
       WHERE user_id = $1 AND expires_at > $2 AND attempts < $3
       RETURNING user_id, new_email, code_hash, expires_at`,
      [userId, now, maxAttempts],
    );
    if (rows.length === 0) return null;
    return { userId: rows[0].user_id, newEmail: rows[0].new_email, codeHash: rows[0].code_hash, expiresAt: rows[0].expires_at };
  }

  /** Removes the pending change it was confirmed with; false when it was replaced or used meanwhile. */
  async consume(tx: Tx, userId: string, codeHash: Buffer): Promise<boolean> {
    const [, affected]: [unknown, number] = await tx.query(`DELETE FROM identity.email_changes WHERE user_id = $1 AND code_hash = $2`, [userId, codeHash]);
    return affected === 1;
  }
}
