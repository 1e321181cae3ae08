import type { Tx } from '../../kit/transaction';

export interface PasswordResetRow {
  userId: string;
  expiresAt: Date;
  usedAt: Date | null;
}

/** Mailed password-reset links, by the SHA-256 of their token (the token itself is never stored). */
export class PasswordResetRepository {
  async insert(tx: Tx, tokenHash: Buffer, userId: string, createdAt: Date, expiresAt: Date): Promise<void> {
    await tx.query(`INSERT INTO identity.password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`, [tokenHash, userId, createdAt, expiresAt]);
  }

  /** The link's row, locked until the transaction ends so two uses of one link cannot both succeed. */
  async lock(tx: Tx, tokenHash: Buffer): Promise<PasswordResetRow | null> {
    const rows: { user_id: string; expires_at: Date; used_at: Date | null }[] = await tx.query(
      `SELECT user_id, expires_at, used_at FROM identity.password_resets WHERE token_hash = $1 FOR UPDATE`,
      [tokenHash],
    );
    return rows.length ? { userId: rows[0].user_id, expiresAt: rows[0].expires_at, usedAt: rows[0].used_at } : null;
  }

  /** Uses up every outstanding link of the user: the one just used and any others mailed before. */
  async useAllOfUser(tx: Tx, userId: string, at: Date): Promise<void> {
    await tx.query(`UPDATE identity.password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`, [userId, at]);
  }
}
