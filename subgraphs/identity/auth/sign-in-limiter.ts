import { DomainError, ErrorCode } from '../../kit/errors';
import type { AuthFailureRepository } from './auth-failure.repository';

export interface SignInLimits {
  windowMs: number;
  perAccount: number;
  perIp: number;
  /** Keeps another limit's counts apart from sign-in failures (e.g. password-reset requests). */
  keyPrefix?: string;
  message?: string;
}

/** Failed sign-ins allowed per 15 minutes: enough for typos, far too few for guessing. */
export const defaultSignInLimits: SignInLimits = { windowMs: 15 * 60_000, perAccount: 10, perIp: 100 };

/** Password-reset mails per 15 minutes: a few per address, so nobody can flood an inbox. */
export const passwordResetLimits: SignInLimits = { windowMs: 15 * 60_000, perAccount: 3, perIp: 30, keyPrefix: 'reset:', message: 'Too many password reset requests; try again later' };

/** The key an address's counts are kept under, for these limits. */
export const accountLimitKey = (email: string, limits: SignInLimits): string => `${limits.keyPrefix ?? ''}account:${email.trim().toLowerCase()}`;

/**
 * Limits failed sign-ins per account and per IP address, in fixed windows stored in PostgreSQL
 * so every replica sees the same counts. Keyed by the email as typed, so the answer is the
 * same whether or not an account exists.
 */
export class SignInLimiter {
  constructor(
    private readonly failures: AuthFailureRepository,
    private readonly limits: SignInLimits = defaultSignInLimits,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private window(): { start: Date; retryAfterSeconds: number } {
    const t = this.now().getTime();
    const start = t - (t % this.limits.windowMs);
    return { start: new Date(start), retryAfterSeconds: Math.ceil((start + this.limits.windowMs - t) / 1000) };
  }

  private keys(email: string, ip?: string): { account: string; ip?: string } {
    const prefix = this.limits.keyPrefix ?? '';
    return { account: accountLimitKey(email, this.limits), ip: ip ? `${prefix}ip:${ip}` : undefined };
  }

  async assertAllowed(email: string, ip?: string): Promise<void> {
    const { start, retryAfterSeconds } = this.window();
    const keys = this.keys(email, ip);
    const counts = await this.failures.count([keys.account, ...(keys.ip ? [keys.ip] : [])], start);
    const overAccount = (counts.get(keys.account) ?? 0) >= this.limits.perAccount;
    const overIp = keys.ip ? (counts.get(keys.ip) ?? 0) >= this.limits.perIp : false;
    if (overAccount || overIp) {
      throw new DomainError(ErrorCode.RateLimited, this.limits.message ?? 'Too many failed sign-in attempts; try again later', { retryAfterSeconds });
    }
  }

  async recordFailure(email: string, ip?: string): Promise<void> {
    const { start } = this.window();
    const keys = this.keys(email, ip);
    await this.failures.increment([keys.account, ...(keys.ip ? [keys.ip] : [])], start);
    if (Math.random() < 0.01) await this.failures.purgeBefore(new Date(start.getTime() - this.limits.windowMs));
  }
}
