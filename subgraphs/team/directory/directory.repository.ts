import type { Tx, UnitOfWork } from '../../kit/transaction';
import { DirectoryUserEntity } from './directory-user.entity';

export class DirectoryRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * The address typed at sign-up, unverified. A sign-up is an account's first event, so a row that
   * is already there came from a later one (a verification, a change) and stays as it is.
   */
  async recordSignUp(tx: Tx, userId: string, email: string, at: Date): Promise<void> {
    await tx.query(
      `INSERT INTO team.user_directory (user_id, email, email_verified, email_as_of) VALUES ($1, $2, false, $3)
       ON CONFLICT (user_id) DO NOTHING`,
      [userId, email, at],
    );
  }

  /** An address the account proved it reads, unless a newer event already set another one. */
  async recordVerified(tx: Tx, userId: string, email: string, at: Date): Promise<void> {
    await tx.query(
      `INSERT INTO team.user_directory (user_id, email, email_verified, email_as_of) VALUES ($1, $2, true, $3)
       ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, email_verified = true, email_as_of = EXCLUDED.email_as_of
       WHERE team.user_directory.email_as_of <= EXCLUDED.email_as_of`,
      [userId, email, at],
    );
  }

  async forget(tx: Tx, userId: string): Promise<void> {
    await tx.getRepository(DirectoryUserEntity).delete({ userId });
  }

  /** The verified addresses of these accounts: the only ones Team mails. */
  findVerifiedByUsers(userIds: readonly string[]): Promise<DirectoryUserEntity[]> {
    if (!userIds.length) return Promise.resolve([]);
    return this.uow.reader
      .getRepository(DirectoryUserEntity)
      .createQueryBuilder('u')
      .where('u.user_id IN (:...userIds) AND u.email_verified', { userIds: [...userIds] })
      .getMany();
  }

  findByUser(userId: string): Promise<DirectoryUserEntity[]> {
    return this.uow.reader.getRepository(DirectoryUserEntity).findBy({ userId });
  }

  /** Accounts that verified this address; one that merely typed it is not among them. */
  findVerifiedByEmail(email: string): Promise<DirectoryUserEntity[]> {
    return this.uow.reader
      .getRepository(DirectoryUserEntity)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email) AND u.email_verified', { email })
      .getMany();
  }
}
