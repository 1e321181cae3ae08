import { randomBytes } from 'node:crypto';
import { sha256 } from '../../kit/digest';
import { DomainError, ErrorCode } from '../../kit/errors';
import { EventType, type Outbox, type UserLifecyclePayload } from '../../kit/events';
import type { UnitOfWork } from '../../kit/transaction';
import { assertAcceptablePassword, normalizeEmail } from '../auth/credentials';
import type { PasswordHasher } from '../auth/password-hasher';
import type { SignInLimiter } from '../auth/sign-in-limiter';
import type { AccountMail } from '../notification/account-mail';
import type { RequestOrigin, SessionService } from '../session/session.service';
import type { UserRepository } from '../user/user.repository';
import type { PasswordResetRepository } from './password-reset.repository';

export const PASSWORD_RESET_TTL_MS = 60 * 60_000;


/** Resetting a forgotten password with a mailed, single-use link that expires within the hour. */
export class PasswordResetService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly resets: PasswordResetRepository,
    private readonly users: UserRepository,
    private readonly sessions: SessionService,
    private readonly hasher: PasswordHasher,
    private readonly mail: AccountMail,
    private readonly outbox: Outbox,
    private readonly limiter: SignInLimiter,
    /** The accounts web page; the link opens `<accountsUrl>/reset-password#token=…`. */
    private readonly accountsUrl: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Mails a reset link to the account that signs in with this email and a password. Answers the
   * same whether or not such an account exists; limited per address and per IP address.
   */
  async request(rawEmail: string, origin: RequestOrigin): Promise<boolean> {
    await this.limiter.assertAllowed(rawEmail, origin.ip);
    await this.limiter.recordFailure(rawEmail, origin.ip);
    let email: string;
    try {
      email = normalizeEmail(rawEmail);
    } catch {
      return true;
    }
    const user = await this.users.findPasswordAccountByEmail(email);
    if (!user || user.deletedAt) return true;
    // 256 bits: the link is the only proof, so it must not be guessable.
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + PASSWORD_RESET_TTL_MS);
    const link = new URL('reset-password', this.accountsUrl.endsWith('/') ? this.accountsUrl : `${this.accountsUrl}/`);
    // In the fragment, so the token is not sent to the web server or in a Referer header.
    link.hash = `token=${token}`;
    await this.uow.run(async (tx) => {
      await this.resets.insert(tx, sha256(token), user.id, now, expiresAt);
      await this.mail.passwordResetLink(tx, user.email, link.href, expiresAt);
    });
    return true;
  }

  /**
   * Sets a new password with a link's token: the link and every other outstanding one are used up,
   * every session of the user ends, and the user is told. MFA stays as it was.
   */
  async reset(token: string, newPassword: string, origin: RequestOrigin): Promise<boolean> {
    assertAcceptablePassword(newPassword);
    const passwordHash = await this.hasher.hash(newPassword);
    const invalid = () => new DomainError(ErrorCode.PasswordResetInvalid, 'This password reset link is not valid; ask for a new one');
    return this.uow.run(async (tx) => {
      const now = this.now();
      const row = typeof token === 'string' && token.length <= 128 ? await this.resets.lock(tx, sha256(token)) : null;
      if (!row) throw invalid();
      if (row.usedAt) throw new DomainError(ErrorCode.PasswordResetUsed, 'This password reset link was already used or replaced; ask for a new one');
      if (row.expiresAt <= now) throw new DomainError(ErrorCode.PasswordResetExpired, 'This password reset link has expired; ask for a new one');
      const user = await this.users.findById(row.userId, tx);
      if (!user || !(await this.users.setPassword(tx, user.id, passwordHash))) throw invalid();
      await this.resets.useAllOfUser(tx, user.id, now);
      await this.sessions.endAll(tx, user.id);
      await this.mail.passwordChanged(tx, user.email, now);
      const payload: UserLifecyclePayload = { userId: user.id };
      await this.outbox.enqueue(tx, {
        type: EventType.UserPasswordReset,
        aggregateId: user.id,
        teamId: null,
        actor: { userId: user.id, ip: origin.ip, userAgent: origin.userAgent },
        payload,
      });
      return true;
    });
  }
}
