import { DomainError, ErrorCode } from '../../kit/errors';
import { EventType, type Outbox } from '../../kit/events';
import { isUuid } from '../../kit/loaders';
import type { Session } from '../../kit/session';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import type { RequestOrigin } from '../session/session.service';
import type { UserRepository } from '../user/user.repository';
import type { MfaChallengePurpose, MfaChallengeEntity } from './mfa.entity';
import type { MfaRepository } from './mfa.repository';
import { newOneTimeCode, type SecretBox } from './secret-box';
import { base32Encode, matchTotp, newTotpSecret, otpauthUri } from './totp';

export const RECOVERY_CODE_COUNT = 10;
/** A password-verified sign-in waits this long for its second factor, and allows this many tries. */
export const MFA_CHALLENGE_TTL_MS = 5 * 60_000;
export const MFA_CHALLENGE_MAX_ATTEMPTS = 5;

/** A second factor as a user presents it: a TOTP code or one of their recovery codes. */
export interface SecondFactor {
  totp?: string | null;
  recoveryCode?: string | null;
}

export const invalidMfaCode = () => new DomainError(ErrorCode.InvalidMfaCode, 'The authentication code is not valid');
const challengeExpired = () => new DomainError(ErrorCode.MfaChallengeExpired, 'This sign-in has expired; sign in again');

/**
 * Multi-factor authentication with TOTP and recovery codes. Support cannot switch it off: only a
 * valid code (or deleting the account) removes it.
 */
export class MfaService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly mfa: MfaRepository,
    private readonly users: UserRepository,
    private readonly box: SecretBox,
    private readonly outbox: Outbox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async status(userId: string): Promise<{ enabled: boolean; recoveryCodesRemaining: number }> {
    const factor = await this.mfa.findTotp(userId);
    if (!factor?.confirmedAt) return { enabled: false, recoveryCodesRemaining: 0 };
    return { enabled: true, recoveryCodesRemaining: (await this.mfa.unusedRecoveryCodes(userId)).length };
  }

  async isEnabled(userId: string): Promise<boolean> {
    return !!(await this.mfa.findTotp(userId))?.confirmedAt;
  }

  /** A new secret to scan; MFA is on only once a first code confirms it. */
  async startEnrollment(caller: Session): Promise<{ secret: string; otpauthUri: string }> {
    caller.assertRecentAuthentication();
    const userId = caller.requireUserId();
    const [user] = await this.users.findByIds([userId]);
    const secret = newTotpSecret();
    const saved = await this.uow.run((tx) => this.mfa.savePending(tx, userId, this.box.encrypt(secret, userId), this.now()));
    if (!saved) throw new DomainError(ErrorCode.Conflict, 'Multi-factor authentication is already on');
    return { secret: base32Encode(secret), otpauthUri: otpauthUri(secret, user.email) };
  }

  /** Turns MFA on with a first code from the new secret; answers the ten recovery codes, shown once. */
  async confirmEnrollment(caller: Session, code: string, origin: RequestOrigin): Promise<{ codes: string[] }> {
    caller.assertRecentAuthentication();
    const userId = caller.requireUserId();
    const factor = await this.mfa.findTotp(userId);
    if (!factor) throw new DomainError(ErrorCode.Conflict, 'Start the enrolment first');
    if (factor.confirmedAt) throw new DomainError(ErrorCode.Conflict, 'Multi-factor authentication is already on');
    const now = this.now();
    const step = matchTotp(this.box.decrypt(factor.secretCiphertext, userId), code, now.getTime(), factor.lastUsedStep);
    if (step === null) throw invalidMfaCode();
    return this.uow.run(async (tx) => {
      if (!(await this.mfa.useStep(tx, userId, step, now))) throw invalidMfaCode();
      const codes = await this.issueRecoveryCodes(tx, userId, now);
      await this.audit(tx, EventType.MfaEnabled, userId, origin, { userId, method: 'TOTP' });
      return { codes };
    });
  }

  /** Ten new recovery codes; every earlier one stops working. */
  async regenerateRecoveryCodes(caller: Session, origin: RequestOrigin): Promise<{ codes: string[] }> {
    caller.assertRecentAuthentication();
    const userId = caller.requireUserId();
    if (!(await this.isEnabled(userId))) throw new DomainError(ErrorCode.Conflict, 'Multi-factor authentication is not on');
    return this.uow.run(async (tx) => {
      const codes = await this.issueRecoveryCodes(tx, userId, this.now());
      await this.audit(tx, EventType.RecoveryCodesRegenerated, userId, origin, { userId });
      return { codes };
    });
  }

  /** Removes MFA: a recent sign-in and a valid code (TOTP or recovery code) are both required. */
  async disable(caller: Session, factor: SecondFactor, origin: RequestOrigin): Promise<boolean> {
    caller.assertRecentAuthentication();
    const userId = caller.requireUserId();
    if (!(await this.isEnabled(userId))) throw new DomainError(ErrorCode.Conflict, 'Multi-factor authentication is not on');
    return this.uow.run(async (tx) => {
      if (!(await this.spend(tx, userId, factor, origin))) throw invalidMfaCode();
      await this.mfa.deleteFactor(tx, userId);
      await this.audit(tx, EventType.MfaDisabled, userId, origin, { userId });
      return true;
    });
  }

  /**
   * Checks a second factor and spends it in the caller's transaction: a TOTP step or a recovery
   * code works once. Answers what was used, or null when nothing valid was presented.
   */
  async spend(tx: Tx, userId: string, factor: SecondFactor, origin: RequestOrigin): Promise<'totp' | 'recovery-code' | null> {
    const now = this.now();
    if (factor.totp) {
      const totp = await this.mfa.findTotp(userId, tx);
      if (!totp?.confirmedAt) return null;
      const step = matchTotp(this.box.decrypt(totp.secretCiphertext, userId), factor.totp, now.getTime(), totp.lastUsedStep);
      return step !== null && (await this.mfa.useStep(tx, userId, step)) ? 'totp' : null;
    }
    if (factor.recoveryCode) {
      const codes = await this.mfa.unusedRecoveryCodes(userId, tx);
      const index = this.box.findCode(factor.recoveryCode, userId, codes.map((c) => c.codeHash));
      if (index < 0 || !(await this.mfa.useRecoveryCode(tx, codes[index].id, now))) return null;
      await this.audit(tx, EventType.RecoveryCodeUsed, userId, origin, { userId, remaining: codes.length - 1 });
      return 'recovery-code';
    }
    return null;
  }

  createChallenge(tx: Tx, userId: string, purpose: MfaChallengePurpose): Promise<MfaChallengeEntity> {
    const now = this.now();
    return this.mfa.insertChallenge(tx, { userId, purpose, createdAt: now, expiresAt: new Date(now.getTime() + MFA_CHALLENGE_TTL_MS) });
  }

  /** Counts a try at a challenge; unknown, expired, completed and exhausted challenges all read the same. */
  async attemptChallenge(challengeId: string): Promise<MfaChallengeEntity> {
    if (!isUuid(challengeId)) throw challengeExpired();
    const challenge = await this.mfa.attemptChallenge(challengeId, this.now(), MFA_CHALLENGE_MAX_ATTEMPTS);
    if (!challenge) throw challengeExpired();
    if (Math.random() < 0.01) await this.mfa.deleteChallengesBefore(new Date(this.now().getTime() - 24 * 3600_000));
    return challenge;
  }

  async completeChallenge(tx: Tx, challengeId: string): Promise<void> {
    if (!(await this.mfa.completeChallenge(tx, challengeId, this.now()))) throw challengeExpired();
  }

  private async issueRecoveryCodes(tx: Tx, userId: string, at: Date): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newOneTimeCode());
    await this.mfa.replaceRecoveryCodes(tx, userId, codes.map((c) => this.box.hashCode(c, userId)), at);
    return codes;
  }

  private async audit(tx: Tx, type: string, userId: string, origin: RequestOrigin, payload: object): Promise<void> {
    await this.outbox.enqueue(tx, { type, aggregateId: userId, teamId: null, actor: { userId, ip: origin.ip, userAgent: origin.userAgent }, payload });
  }
}
