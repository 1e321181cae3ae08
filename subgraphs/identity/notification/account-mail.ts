import type { MailRepository } from '../../kit/mail/mail.repository';
import type { Tx } from '../../kit/transaction';
import type { RequestOrigin } from '../session/session.service';

/** The mail Identity sends about an account; queued in the caller's transaction (the outbox sends it). */
export class AccountMail {
  constructor(private readonly mail: MailRepository) {}

  /** "Someone signed in to your account", with the FAQ's advice. The location is approximate and may be unknown. */
  async signedIn(tx: Tx, to: string, origin: RequestOrigin & { approximateLocation?: string | null }, at: Date): Promise<void> {
    await this.mail.enqueue(tx, [
      {
        recipient: to,
        subject: 'New sign-in to your account',
        body: [
          'Someone signed in to your account.',
          '',
          `Time: ${at.toISOString()}`,
          `Browser or app: ${origin.userAgent ?? 'unknown'}`,
          `IP address: ${origin.ip ?? 'unknown'}`,
          `Approximate location: ${origin.approximateLocation ?? 'unknown'} (based on the IP address; it may not be where you are)`,
          '',
          'If this was not you, reset your password and clear your login sessions. We also recommend adding multi-factor authentication.',
        ].join('\n'),
      },
    ]);
  }

  async emailChangeCode(tx: Tx, to: string, code: string): Promise<void> {
    await this.mail.enqueue(tx, [
      {
        recipient: to,
        subject: 'Confirm your new email address',
        body: `Enter this code to confirm your new email address: ${code}\n\nIt expires in 15 minutes. If you did not ask for this, ignore this email.`,
      },
    ]);
  }

  /** The code that proves the user receives mail at the address they signed up with. */
  async verificationCode(tx: Tx, to: string, code: string): Promise<void> {
    await this.mail.enqueue(tx, [
      {
        recipient: to,
        subject: 'Verify your email address',
        body: `Enter this code to verify your email address: ${code}\n\nIt expires in 24 hours. If you did not create an account, ignore this email.`,
      },
    ]);
  }

  async passwordResetLink(tx: Tx, to: string, link: string, expiresAt: Date): Promise<void> {
    await this.mail.enqueue(tx, [
      {
        recipient: to,
        subject: 'Reset your password',
        body: [
          'Someone asked to reset the password of your account. To choose a new password, open this link:',
          '',
          link,
          '',
          `It works once, until ${expiresAt.toISOString()}. Resetting your password signs you out everywhere.`,
          'If you did not ask for this, ignore this email: your password stays as it is.',
        ].join('\n'),
      },
    ]);
  }

  async passwordChanged(tx: Tx, to: string, at: Date): Promise<void> {
    await this.mail.enqueue(tx, [
      {
        recipient: to,
        subject: 'Your password was reset',
        body: `The password of your account was reset at ${at.toISOString()} and every session was signed out.\n\nIf this was not you, reset your password again at once and add multi-factor authentication.`,
      },
    ]);
  }

  async emailChanged(tx: Tx, oldEmail: string, newEmail: string): Promise<void> {
    await this.mail.enqueue(tx, [
      {
        recipient: oldEmail,
        subject: 'Your account email was changed',
        body: `The email address of your account was changed to ${newEmail}.\n\nIf this was not you, contact support at once.`,
      },
    ]);
  }

  async accountDeleted(tx: Tx, to: string, restoreBefore: Date): Promise<void> {
    await this.mail.enqueue(tx, [
      {
        recipient: to,
        subject: 'Your account is scheduled for deletion',
        body: `Your account was deleted. You can restore it by signing in and confirming before ${restoreBefore.toISOString()}; after that its personal data is removed for good.`,
      },
    ]);
  }
}
