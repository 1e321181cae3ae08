import { accountLimitKey, defaultSignInLimits, passwordResetLimits } from '../auth/sign-in-limiter';
import { In, IsNull } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { UserEntity } from './user.entity';

export class UserRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findByIds(ids: readonly string[]): Promise<UserEntity[]> {
    return this.uow.reader.getRepository(UserEntity).findBy({ id: In([...ids]) });
  }

  async findById(id: string, tx?: Tx): Promise<UserEntity | null> {
    return (tx ?? this.uow.reader).getRepository(UserEntity).findOneBy({ id });
  }

  /** The account that signs in with this email and a password (deleted ones included: they may be restored). */
  findPasswordAccountByEmail(email: string): Promise<UserEntity | null> {
    return this.uow.reader
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .andWhere('u.password_hash IS NOT NULL')
      .getOne();
  }

  async insert(tx: Tx, user: Pick<UserEntity, 'id' | 'email' | 'passwordHash' | 'emailVerifiedAt'>): Promise<UserEntity> {
    return tx.getRepository(UserEntity).save(tx.getRepository(UserEntity).create(user));
  }

  /** Marks the account deleted; false when it already was. */
  async markDeleted(tx: Tx, id: string, at: Date): Promise<boolean> {
    const result = await tx.getRepository(UserEntity).update({ id, deletedAt: IsNull() }, { deletedAt: at });
    return (result.affected ?? 0) === 1;
  }

  /** Undoes a deletion that is still within its window; false otherwise. */
  async restore(tx: Tx, id: string, deletedAfter: Date): Promise<boolean> {
    const [, affected]: [unknown, number] = await tx.query(`UPDATE identity.users SET deleted_at = NULL WHERE id = $1 AND deleted_at > $2`, [id, deletedAfter]);
    return affected === 1;
  }

  /** Sets the (now verified) email. */
  async updateEmail(tx: Tx, id: string, email: string, verifiedAt: Date): Promise<void> {
    await tx.getRepository(UserEntity).update({ id }, { email, emailVerifiedAt: verifiedAt });
  }

  /** A new password; false when the account is gone or deleted. */
  async setPassword(tx: Tx, id: string, passwordHash: string): Promise<boolean> {
    const [, affected]: [unknown, number] = await tx.query(`UPDATE identity.users SET password_hash = $2 WHERE id = $1 AND deleted_at IS NULL AND password_hash IS NOT NULL`, [id, passwordHash]);
    return affected === 1;
  }

  /** Accounts deleted before the cutoff, i.e. past their restore window. */
  async deletedBefore(cutoff: Date, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.uow.reader.query(
      `SELECT id FROM identity.users WHERE deleted_at IS NOT NULL AND deleted_at <= $1 ORDER BY deleted_at LIMIT $2`,
      [cutoff, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Removes everything Identity holds about a user deleted before the cutoff: the account row
   * (sessions, MFA, pending email change cascade), the copy of their memberships, their mail and
   * their sign-in failure counts. Answers the purged email, or null when there was nothing to purge.
   */
  async purge(tx: Tx, id: string, cutoff: Date): Promise<string | null> {
    const [rows]: [{ email: string }[], number] = await tx.query(
      `DELETE FROM identity.users WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at <= $2 RETURNING email`,
      [id, cutoff],
    );
    if (rows.length === 0) return null;
    const email = rows[0].email;
    await tx.query(`DELETE FROM identity.team_memberships WHERE user_id = $1`, [id]);
    await tx.query(`DELETE FROM identity.outgoing_emails WHERE lower(recipient) = lower($1)`, [email]);
    const keys = [defaultSignInLimits, passwordResetLimits].map((limits) => accountLimitKey(email, limits));
    await tx.query(`DELETE FROM identity.auth_failures WHERE key = ANY($1)`, [keys]);
    return email;
  }
}
