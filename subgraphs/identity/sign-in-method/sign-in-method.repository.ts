import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import type { SignInMethodKind } from '../auth/auth.types';
import { SignInMethodEntity } from './sign-in-method.entity';

export interface PendingOAuthSignIn {
  provider: SignInMethodKind;
  codeVerifierCiphertext: Buffer;
  nonce: string;
  linkUserId: string | null;
  separateAccount: boolean;
}

export class SignInMethodRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findByUsers(userIds: readonly string[]): Promise<SignInMethodEntity[]> {
    return this.uow.reader.getRepository(SignInMethodEntity).find({ where: { userId: In([...userIds]) }, order: { createdAt: 'ASC' } });
  }

  findBySubject(kind: SignInMethodKind, subject: string): Promise<SignInMethodEntity | null> {
    return this.uow.reader.getRepository(SignInMethodEntity).findOneBy({ kind, subject });
  }

  async add(tx: Tx, userId: string, kind: SignInMethodKind, subject: string | null): Promise<SignInMethodEntity> {
    const repo = tx.getRepository(SignInMethodEntity);
    return repo.save(repo.create({ id: randomUUID(), userId, kind, subject }));
  }

  /** Removes the method unless it is the user's last (rows locked, so two removals cannot leave none). */
  async removeUnlessLast(tx: Tx, userId: string, kind: SignInMethodKind): Promise<'removed' | 'last' | 'absent'> {
    const rows: { kind: string }[] = await tx.query(`SELECT kind FROM identity.sign_in_methods WHERE user_id = $1 FOR UPDATE`, [userId]);
    if (!rows.some((r) => r.kind === kind)) return 'absent';
    if (rows.length <= 1) return 'last';
    await tx.query(`DELETE FROM identity.sign_in_methods WHERE user_id = $1 AND kind = $2`, [userId, kind]);
    if (kind === 'EMAIL_PASSWORD') await tx.query(`UPDATE identity.users SET password_hash = NULL WHERE id = $1`, [userId]);
    return 'removed';
  }

  /** The sign-in methods of the live accounts using this email, other than `exceptUserId`. */
  async methodsOfAccountsWithEmail(email: string, exceptUserId?: string): Promise<SignInMethodKind[]> {
    const rows: { kind: SignInMethodKind }[] = await this.uow.reader.query(
      `SELECT DISTINCT m.kind FROM identity.users u JOIN identity.sign_in_methods m ON m.user_id = u.id
       WHERE lower(u.email) = lower($1) AND u.deleted_at IS NULL AND u.id <> coalesce($2::uuid, '00000000-0000-0000-0000-000000000000') ORDER BY m.kind`,
      [email, exceptUserId ?? null],
    );
    return rows.map((r) => r.kind);
  }

  async setPassword(tx: Tx, userId: string, passwordHash: string): Promise<void> {
    await tx.query(`UPDATE identity.users SET password_hash = $2 WHERE id = $1`, [userId, passwordHash]);
  }

  async setXSubscription(tx: Tx, userId: string, subscription: string | null): Promise<void> {
    await tx.query(`UPDATE identity.users SET x_subscription = $2 WHERE id = $1`, [userId, subscription]);
  }

  async saveState(tx: Tx, stateHash: Buffer, pending: PendingOAuthSignIn, expiresAt: Date): Promise<void> {
    await tx.query(
      `INSERT INTO identity.oauth_states (state_hash, provider, code_verifier_ciphertext, nonce, link_user_id, separate_account, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [stateHash, pending.provider, pending.codeVerifierCiphertext, pending.nonce, pending.linkUserId, pending.separateAccount, expiresAt],
    );
  }

  /** Takes (once) the live pending sign-in of this state; null when unknown, used or expired. */
  async takeState(stateHash: Buffer, provider: SignInMethodKind, now: Date): Promise<PendingOAuthSignIn | null> {
    const [rows]: [{ provider: SignInMethodKind; code_verifier_ciphertext: Buffer; nonce: string; link_user_id: string | null; separate_account: boolean }[], number] =
      await this.uow.reader.query(`DELETE FROM identity.oauth_states WHERE state_hash = $1 AND provider = $2 AND expires_at > $3 RETURNING *`, [stateHash, provider, now]);
    await this.uow.reader.query(`DELETE FROM identity.oauth_states WHERE expires_at <= $1`, [now]);
    if (rows.length === 0) return null;
    const r = rows[0];
    return { provider: r.provider, codeVerifierCiphertext: r.code_verifier_ciphertext, nonce: r.nonce, linkUserId: r.link_user_id, separateAccount: r.separate_account };
  }
}
