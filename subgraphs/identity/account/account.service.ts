import { DomainError, ErrorCode } from '../../kit/errors';
import { EventType, type Outbox, type UserEmailChangedPayload, type UserEmailVerifiedPayload, type UserLifecyclePayload } from '../../kit/events';
import type { Logger } from '../../kit/logger';
import type { Session } from '../../kit/session';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { normalizeEmail } from '../auth/credentials';
import { newNumericCode, type SecretBox } from '../mfa/secret-box';
import type { AccountMail } from '../notification/account-mail';
import type { RequestOrigin, SessionService } from '../session/session.service';
import type { UserRepository } from '../user/user.repository';
import type { PasswordResetRepository } from '../password-reset/password-reset.repository';
import type { EmailChangeRepository } from './email-change.repository';

/** A deleted account can be restored for 30 days; then its personal data is purged. */
export const RESTORE_WINDOW_MS = 30 * 24 * 3600 * 1000;
export const EMAIL_CHANGE_TTL_MS = 15 * 60_000;
export const EMAIL_CHANGE_MAX_ATTEMPTS = 5;
/** A sign-up's verification code lasts a day: people read their mail later. */
export const EMAIL_VERIFICATION_TTL_MS = 24 * 3600 * 1000;

/** The account's own lifecycle: deletion, restore window and purge, and changing its email. */
export class AccountService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly sessions: SessionService,
    private readonly emailChanges: EmailChangeRepository,
    private readonly box: SecretBox,
    private readonly mail: AccountMail,
    private readonly outbox: Outbox,
    private readonly passwordResets: PasswordResetRepository,
    private readonly logger?: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Deletes the caller's account (after a recent sign-in): every session ends at once, and signing
   * in answers AccountRestoreRequired until the window closes. API keys stay with their teams.
   */
  async deleteAccount(caller: Session, origin: RequestOrigin): Promise<{ restoreBefore: Date }> {
    caller.assertRecentAuthentication();
    const userId = caller.requireUserId();
    const now = this.now();
    const restoreBefore = new Date(now.getTime() + RESTORE_WINDOW_MS);
    return this.uow.run(async (tx) => {
      const user = await this.users.findById(userId, tx);
      if (!user || !(await this.users.markDeleted(tx, userId, now))) throw new DomainError(ErrorCode.Conflict, 'This account is already deleted');
      await this.sessions.endAll(tx, userId);
      await this.mail.accountDeleted(tx, user.email, restoreBefore);
      await this.event(tx, EventType.UserDeleted, userId, { userId, restoreBefore: restoreBefore.toISOString() }, origin);
      return { restoreBefore };
    });
  }

  /**
   * Purges accounts whose restore window has closed: idempotent (a purged account is gone, so a
   * second run finds nothing) and safe to run on several replicas at once. Announces each purge
   * with `identity.user.purged`, so other subgraphs drop what they hold about the user.
   */
  async purgeExpired(batch = 100): Promise<number> {
    const cutoff = new Date(this.now().getTime() - RESTORE_WINDOW_MS);
    let purged = 0;
    for (;;) {
      const ids = await this.users.deletedBefore(cutoff, batch);
      let progress = 0;
      for (const userId of ids) {
        const done = await this.uow.run(async (tx) => {
          if ((await this.users.purge(tx, userId, cutoff)) === null) return false;
          const payload: UserLifecyclePayload = { userId };
          await this.event(tx, EventType.UserPurged, userId, payload);
          return true;
        });
        if (done) progress++;
      }
      purged += progress;
      if (ids.length < batch || progress === 0) break;
    }
    if (purged > 0) this.logger?.info({ purged }, 'purged deleted accounts');
    return purged;
  }

  /** Mails a code to the new address (after a recent sign-in); the email changes only when it is confirmed. */
  async requestEmailChange(caller: Session, newEmail: string, origin: RequestOrigin): Promise<boolean> {
    caller.assertRecentAuthentication();
    const userId = caller.requireUserId();
    const email = normalizeEmail(newEmail);
    const user = await this.users.findById(userId);
    if (!user) throw new DomainError(ErrorCode.Unauthenticated, 'You must be signed in');
    if (email.toLowerCase() === user.email.toLowerCase()) throw new DomainError(ErrorCode.BadUserInput, 'That is already your email', { field: 'newEmail' });
    const taken = await this.users.findPasswordAccountByEmail(email);
    if (taken && user.passwordHash) throw new DomainError(ErrorCode.EmailTaken, 'Another account already signs in with this email');
    const code = newNumericCode();
    await this.uow.run(async (tx) => {
      await this.emailChanges.save(tx, { userId, newEmail: email, codeHash: this.box.hashCode(code, `email-change:${userId}:${email}`), expiresAt: new Date(this.now().getTime() + EMAIL_CHANGE_TTL_MS) });
      await this.mail.emailChangeCode(tx, email, code);
      await this.event(tx, EventType.UserEmailChangeRequested, userId, { userId }, origin);
    });
    return true;
  }

  /** Applies a pending email change with the mailed code; the old address is told. */
  async confirmEmailChange(caller: Session, code: string, origin: RequestOrigin): Promise<{ id: string; email: string }> {
    caller.assertRecentAuthentication();
    return this.confirmPending(caller.requireUserId(), code, origin, 'change');
  }

  /**
   * Mails a code to a new account's address, in the caller's transaction: until it comes back,
   * the address is unverified and teams do not act on it.
   */
  async sendVerificationCode(tx: Tx, userId: string, email: string): Promise<void> {
    const code = newNumericCode();
    await this.emailChanges.save(tx, { userId, newEmail: email, codeHash: this.box.hashCode(code, `email-change:${userId}:${email}`), expiresAt: new Date(this.now().getTime() + EMAIL_VERIFICATION_TTL_MS) });
    await this.mail.verificationCode(tx, email, code);
  }

  /** Mails a fresh verification code to the caller's unverified address (the earlier code stops working). */
  async requestEmailVerification(caller: Session): Promise<boolean> {
    const userId = caller.requireUserId();
    const user = await this.users.findById(userId);
    if (!user) throw new DomainError(ErrorCode.Unauthenticated, 'You must be signed in');
    if (!user.email) throw new DomainError(ErrorCode.BadUserInput, 'Your account has no email address yet; add one with requestEmailChange');
    if (user.emailVerifiedAt) throw new DomainError(ErrorCode.Conflict, 'Your email address is already verified');
    await this.uow.run((tx) => this.sendVerificationCode(tx, userId, user.email));
    return true;
  }

  /** Verifies the caller's current address with the mailed code. */
  verifyEmail(caller: Session, code: string, origin: RequestOrigin): Promise<{ id: string; email: string }> {
    return this.confirmPending(caller.requireUserId(), code, origin, 'verify');
  }

  /**
   * Applies the user's pending address with its code: the address becomes theirs and verified, and
   * `identity.user.email_verified` lets teams act on it. A change also tells the old address.
   */
  private async confirmPending(userId: string, code: string, origin: RequestOrigin, kind: 'change' | 'verify'): Promise<{ id: string; email: string }> {
    const invalid = new DomainError(ErrorCode.InvalidVerificationCode, 'The code is not valid or has expired');
    const pending = await this.emailChanges.attempt(userId, this.now(), EMAIL_CHANGE_MAX_ATTEMPTS);
    if (!pending) throw invalid;
    if (this.box.findCode(code, `email-change:${userId}:${pending.newEmail}`, [pending.codeHash]) !== 0) throw invalid;
    try {
      return await this.uow.run(async (tx) => {
        const user = await this.users.findById(userId, tx);
        if (!user || user.deletedAt) throw invalid;
        const changes = user.email.toLowerCase() !== pending.newEmail.toLowerCase();
        // verifyEmail (which needs no recent sign-in) only verifies the address the account already has.
        if (kind === 'verify' && changes) throw invalid;
        if (!(await this.emailChanges.consume(tx, userId, pending.codeHash))) throw invalid;
        await this.users.updateEmail(tx, userId, pending.newEmail, this.now());
        if (changes) {
          // An X account verifying its first email has no old address to tell.
          if (user.email) await this.mail.emailChanged(tx, user.email, pending.newEmail);
          // Reset links mailed to the old address must not outlive it.
          await this.passwordResets.useAllOfUser(tx, userId, this.now());
          const payload: UserEmailChangedPayload = { userId, email: pending.newEmail };
          await this.event(tx, EventType.UserEmailChanged, userId, payload, origin);
        }
        const verified: UserEmailVerifiedPayload = { userId, email: pending.newEmail };
        await this.event(tx, EventType.UserEmailVerified, userId, verified, origin);
        return { id: userId, email: pending.newEmail };
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new DomainError(ErrorCode.EmailTaken, 'Another account already signs in with this email');
      throw err;
    }
  }

  private async event(tx: Tx, type: string, userId: string, payload: object, origin?: RequestOrigin): Promise<void> {
    await this.outbox.enqueue(tx, {
      type,
      aggregateId: userId,
      teamId: null,
      actor: origin ? { userId, ip: origin.ip, userAgent: origin.userAgent } : null,
      payload,
    });
  }
}
