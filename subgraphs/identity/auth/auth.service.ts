import { randomBytes, randomUUID } from 'node:crypto';
import { sha256 } from '../../kit/digest';
import { DomainError, ErrorCode } from '../../kit/errors';
import { EventType, type Outbox, type UserEmailVerifiedPayload, type UserSignedUpPayload } from '../../kit/events';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { RESTORE_WINDOW_MS, type AccountService } from '../account/account.service';
import type { RestoreTokenRepository } from '../account/restore-token.repository';
import type { ApproximateLocator } from '../geoip/approximate-location';
import type { MfaChallengePurpose } from '../mfa/mfa.entity';
import { invalidMfaCode, type MfaService, type SecondFactor } from '../mfa/mfa.service';
import type { AccountMail } from '../notification/account-mail';
import type { SessionService, RequestOrigin } from '../session/session.service';
import type { UserEntity } from '../user/user.entity';
import type { UserRepository } from '../user/user.repository';
import type { SignInMethodRepository } from '../sign-in-method/sign-in-method.repository';
import { SignInMethodKind, type AccountChoiceRequired, type AccountRestoreRequired, type AuthSession, type MfaChallenge } from './auth.types';
import { assertAcceptablePassword, normalizeEmail } from './credentials';
import type { PasswordHasher } from './password-hasher';
import type { SignInLimiter } from './sign-in-limiter';

export type AuthOutcome = AuthSession | MfaChallenge | AccountRestoreRequired;

/** How long the restore token of an OpenID sign-in to a deleted account stays usable. */
export const RESTORE_TOKEN_TTL_MS = 10 * 60_000;

export interface Credentials extends SecondFactor {
  email: string;
  password: string;
}

export class AuthService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly sessions: SessionService,
    private readonly hasher: PasswordHasher,
    private readonly outbox: Outbox,
    private readonly limiter: SignInLimiter,
    private readonly mfa: MfaService,
    private readonly mail: AccountMail,
    private readonly methods: SignInMethodRepository,
    private readonly accounts: AccountService,
    private readonly restoreTokens: RestoreTokenRepository,
    private readonly locator: ApproximateLocator,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Creates an account with an email and password, signs it in, and announces the sign-up. When
   * an account with another sign-in method uses the email, answers AccountChoiceRequired unless
   * the caller chose a separate account (or signs in to that account and adds a password there).
   */
  async signUp(input: { email: string; password: string; createSeparateAccount?: boolean | null }, origin: RequestOrigin): Promise<AuthSession | AccountChoiceRequired> {
    const email = normalizeEmail(input.email);
    assertAcceptablePassword(input.password);
    if (await this.users.findPasswordAccountByEmail(email)) {
      throw new DomainError(ErrorCode.EmailTaken, 'An account with this email already exists; sign in instead');
    }
    if (!input.createSeparateAccount) {
      const existingMethods = await this.methods.methodsOfAccountsWithEmail(email);
      if (existingMethods.length > 0) return { email, existingMethods };
    }
    const passwordHash = await this.hasher.hash(input.password);
    try {
      return await this.uow.run(async (tx) => {
        const session = await this.openNewAccount(tx, email, passwordHash, origin, false);
        await this.methods.add(tx, session.user.id, SignInMethodKind.EMAIL_PASSWORD, null);
        await this.accounts.sendVerificationCode(tx, session.user.id, email);
        return session;
      });
    } catch (err) {
      // Two sign-ups racing for one email: the unique index decides, the loser gets the same answer.
      if ((err as { code?: string }).code === '23505') {
        throw new DomainError(ErrorCode.EmailTaken, 'An account with this email already exists; sign in instead');
      }
      throw err;
    }
  }

  /**
   * Email and password, then: a deleted account within its window answers AccountRestoreRequired;
   * with MFA on, a TOTP or recovery code in the input finishes in one step, otherwise MfaChallenge.
   */
  async signIn(input: Credentials, origin: RequestOrigin): Promise<AuthOutcome> {
    const user = await this.verifyPassword(input, origin);
    if (user.deletedAt) return { restoreBefore: this.restoreBefore(user.deletedAt) };
    return this.secondFactor(user, input, origin, 'sign-in');
  }

  /** Confirms restoring a deleted account with its credentials (and second factor); signs it in. */
  async restoreAccount(input: Credentials, origin: RequestOrigin): Promise<AuthOutcome> {
    const user = await this.verifyPassword(input, origin);
    if (!user.deletedAt) throw new DomainError(ErrorCode.Conflict, 'This account is not deleted; sign in instead');
    return this.secondFactor(user, input, origin, 'restore');
  }

  /**
   * Inserts a new account (its sign-in method is the caller's to add), opens its first session and
   * announces the sign-up; with `emailVerified` (a provider vouched for the address) also its verification.
   */
  async openNewAccount(tx: Tx, email: string, passwordHash: string | null, origin: RequestOrigin, emailVerified: boolean): Promise<AuthSession> {
    const verified = emailVerified && email !== '';
    const user = await this.users.insert(tx, { id: randomUUID(), email, passwordHash, emailVerifiedAt: verified ? this.now() : null });
    const { token, session } = await this.sessions.open(tx, user.id, origin);
    const actor = { userId: user.id, ip: origin.ip, userAgent: origin.userAgent };
    const payload: UserSignedUpPayload = { userId: user.id, email: user.email };
    await this.outbox.enqueue(tx, { type: EventType.UserSignedUp, aggregateId: user.id, teamId: null, actor, payload });
    if (verified) {
      const verifiedPayload: UserEmailVerifiedPayload = { userId: user.id, email: user.email };
      await this.outbox.enqueue(tx, { type: EventType.UserEmailVerified, aggregateId: user.id, teamId: null, actor, payload: verifiedPayload });
    }
    return { token, user: { id: user.id, email: user.email }, expiresAt: session.expiresAt, sessionId: session.id };
  }

  /**
   * A user another way proved to be (an OpenID provider): the same answers as a password sign-in
   * after the password, i.e. AccountRestoreRequired for a deleted account, MfaChallenge with MFA on.
   * With no password to repeat, AccountRestoreRequired carries a short-lived single-use restore token.
   */
  async signInVerified(user: UserEntity, origin: RequestOrigin): Promise<AuthOutcome> {
    if (user.deletedAt) {
      const restoreBefore = this.restoreBefore(user.deletedAt);
      if (restoreBefore <= this.now()) throw new DomainError(ErrorCode.InvalidCredentials, 'This account no longer exists');
      const restoreToken = randomBytes(32).toString('base64url');
      await this.uow.run((tx) => this.restoreTokens.insert(tx, sha256(restoreToken), user.id, new Date(this.now().getTime() + RESTORE_TOKEN_TTL_MS)));
      return { restoreBefore, restoreToken };
    }
    return this.secondFactor(user, {}, origin, 'sign-in');
  }

  /** Confirms restoring a deleted account with the restore token an OpenID sign-in answered (and the second factor). */
  async restoreWithToken(restoreToken: string, factor: SecondFactor, origin: RequestOrigin): Promise<AuthOutcome> {
    const invalid = () => new DomainError(ErrorCode.RestoreTokenInvalid, 'This restore has expired or was already used; sign in again');
    if (restoreToken.length > 128) throw invalid();
    const userId = await this.uow.run((tx) => this.restoreTokens.take(tx, sha256(restoreToken), this.now()));
    const user = userId ? await this.users.findById(userId) : null;
    if (!user) throw invalid();
    if (!user.deletedAt) throw new DomainError(ErrorCode.Conflict, 'This account is not deleted; sign in instead');
    return this.secondFactor(user, factor, origin, 'restore');
  }

  /** Finishes a sign-in or restore that answered MfaChallenge. */
  async completeMfaChallenge(challengeId: string, factor: SecondFactor, origin: RequestOrigin): Promise<AuthOutcome> {
    const challenge = await this.mfa.attemptChallenge(challengeId);
    const user = await this.users.findById(challenge.userId);
    if (!user) throw new DomainError(ErrorCode.MfaChallengeExpired, 'This sign-in has expired; sign in again');
    try {
      return await this.uow.run(async (tx) => {
        if (!(await this.mfa.spend(tx, user.id, factor, origin))) throw invalidMfaCode();
        await this.mfa.completeChallenge(tx, challenge.id);
        return this.establish(tx, user, origin, challenge.purpose);
      });
    } catch (err) {
      await this.countWrongCode(err, user.email, origin);
      throw err;
    }
  }

  /** Wrong codes count against the same sign-in limits as wrong passwords. */
  private async countWrongCode(err: unknown, email: string, origin: RequestOrigin): Promise<void> {
    if (err instanceof DomainError && err.code === ErrorCode.InvalidMfaCode) await this.limiter.recordFailure(email, origin.ip);
  }

  /** The same answer for an unknown email, a wrong password and an account past its restore window. */
  private async verifyPassword(input: Credentials, origin: RequestOrigin): Promise<UserEntity> {
    const invalid = new DomainError(ErrorCode.InvalidCredentials, 'Incorrect email or password');
    await this.limiter.assertAllowed(input.email, origin.ip);
    let email: string;
    try {
      email = normalizeEmail(input.email);
    } catch {
      await this.limiter.recordFailure(input.email, origin.ip);
      throw invalid;
    }
    const user = await this.users.findPasswordAccountByEmail(email);
    const ok = await this.hasher.verify(user?.passwordHash ?? null, input.password);
    const gone = !!user?.deletedAt && this.restoreBefore(user.deletedAt) <= this.now();
    if (!user || !ok || gone) {
      await this.limiter.recordFailure(input.email, origin.ip);
      throw invalid;
    }
    return user;
  }

  private async secondFactor(user: UserEntity, factor: SecondFactor, origin: RequestOrigin, purpose: MfaChallengePurpose): Promise<AuthOutcome> {
    if (!(await this.mfa.isEnabled(user.id))) return this.uow.run((tx) => this.establish(tx, user, origin, purpose));
    if (!factor.totp && !factor.recoveryCode) {
      const challenge = await this.uow.run((tx) => this.mfa.createChallenge(tx, user.id, purpose));
      return { challengeId: challenge.id };
    }
    try {
      return await this.uow.run(async (tx) => {
        if (!(await this.mfa.spend(tx, user.id, factor, origin))) throw invalidMfaCode();
        return this.establish(tx, user, origin, purpose);
      });
    } catch (err) {
      await this.countWrongCode(err, user.email, origin);
      throw err;
    }
  }

  /** Opens the session (restoring the account first when that is the purpose) and tells the user by mail. */
  private async establish(tx: Tx, user: UserEntity, origin: RequestOrigin, purpose: MfaChallengePurpose): Promise<AuthSession> {
    if (purpose === 'restore') {
      if (!(await this.users.restore(tx, user.id, new Date(this.now().getTime() - RESTORE_WINDOW_MS)))) {
        throw new DomainError(ErrorCode.InvalidCredentials, 'Incorrect email or password');
      }
      await this.outbox.enqueue(tx, {
        type: EventType.UserRestored,
        aggregateId: user.id,
        teamId: null,
        actor: { userId: user.id, ip: origin.ip, userAgent: origin.userAgent },
        payload: { userId: user.id },
      });
    } else if (user.deletedAt) {
      throw new DomainError(ErrorCode.MfaChallengeExpired, 'This sign-in has expired; sign in again');
    }
    const { token, session } = await this.sessions.open(tx, user.id, origin);
    // An X account has no email until its user adds and verifies one.
    if (user.email) await this.mail.signedIn(tx, user.email, { ...origin, approximateLocation: this.locator.locate(origin.ip) }, session.createdAt);
    return { token, user: { id: user.id, email: user.email }, expiresAt: session.expiresAt, sessionId: session.id };
  }

  private restoreBefore(deletedAt: Date): Date {
    return new Date(deletedAt.getTime() + RESTORE_WINDOW_MS);
  }
}
