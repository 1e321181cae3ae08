import type { Tx } from '../../kit/transaction';

/** Single-use tokens that let a user a provider just vouched for restore their deleted account. */
export class RestoreTokenRepository {
  async insert(tx: Tx, tokenHash: Buffer, userId: string, expiresAt: Date): Promise<void> {
    await tx.query(`INSERT INTO identity.restore_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`, [tokenHash, userId, expiresAt]);
  }

  /** Takes the live token once (and drops expired ones); null when unknown, used or expired. */
  async take(tx: Tx, tokenHash: Buffer, now: Date): Promise<string | null> {
    const [rows]: [{ user_id: string }[], number] = await tx.query(`DELETE FROM identity.restore_tokens WHERE token_hash = $1 AND expires_at > $2 RETURNING user_id`, [tokenHash, now]);
    await tx.query(`DELETE FROM identity.restore_tokens WHERE expires_at <= $1`, [now]);
    return rows.length ? rows[0].user_id : null;
  }
}
