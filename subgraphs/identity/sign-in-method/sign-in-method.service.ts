import { sha256 } from '../../kit/digest';
import type { OAuthProviderName } from '../../kit/config';
import { DomainError, ErrorCode } from '../../kit/errors';
import { EventType, type Outbox } from '../../kit/events';
import type { Session } from '../../kit/session';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import type { AuthOutcome, AuthService } from '../auth/auth.service';
import { SignInMethodKind, type AccountChoiceRequired } from '../auth/auth.types';
import { assertAcceptablePassword } from '../auth/credentials';
import type { PasswordHasher } from '../auth/password-hasher';
import type { SecretBox } from '../mfa/secret-box';
import type { RequestOrigin } from '../session/session.service';
import type { UserRepository } from '../user/user.repository';
import type { OidcClient } from './oidc-client';
import type { SignInMethodEntity } from './sign-in-method.entity';
import type { SignInMethodRepository } from './sign-in-method.repository';

export const OAUTH_STATE_TTL_MS = 10 * 60_000;


/**
 * A user's sign-in methods: listing, adding and removing them (at least one stays), and signing
 * in or up with X or Google. Accounts are never merged: a provider identity belongs to one account.
 */
export class SignInMethodService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly methods: SignInMethodRepository,
    private readonly users: UserRepository,
    private readonly auth: AuthService,
    private readonly hasher: PasswordHasher,
    private readonly box: SecretBox,
    private readonly outbox: Outbox,
    private readonly providers: Partial<Record<OAuthProviderName, OidcClient>>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  findByUsers(userIds: readonly string[]): Promise<SignInMethodEntity[]> {
    return this.methods.findByUsers(userIds);
  }

  /**
   * Starts a sign-in with X or Google. Signed in (and recently), it links the provider to the
   * caller's account instead; `separateAccount` is the explicit choice of a new account when
   * the email is already used by another one.
   */
  async startOAuth(caller: Session, kind: SignInMethodKind, separateAccount: boolean): Promise<{ authorizationUrl: string; state: string }> {
    const client = this.client(kind);
    const linkUserId = caller.userId ?? null;
    if (linkUserId) caller.assertRecentAuthentication();
    const request = await client.authorizationRequest();
    await this.uow.run((tx) =>
      this.methods.saveState(
        tx,
        sha256(request.state),
        { provider: kind, codeVerifierCiphertext: this.box.encrypt(Buffer.from(request.codeVerifier), `oauth:${kind}`), nonce: request.nonce, linkUserId, separateAccount },
        new Date(this.now().getTime() + OAUTH_STATE_TTL_MS),
      ),
    );
    return { authorizationUrl: request.url, state: request.state };
  }

  /** Finishes what startOAuth began, with the code and state the provider redirected back with. */
  async completeOAuth(kind: SignInMethodKind, code: string, state: string, origin: RequestOrigin): Promise<AuthOutcome | AccountChoiceRequired> {
    const client = this.client(kind);
    const pending = await this.methods.takeState(sha256(state), kind, this.now());
    if (!pending) throw new DomainError(ErrorCode.OAuthFailed, 'This sign-in has expired or was already used; start again');
    const verifier = this.box.decrypt(pending.codeVerifierCiphertext, `oauth:${kind}`).toString();
    const identity = await client.identify(code, state, verifier, pending.nonce);
    const subscription = kind === SignInMethodKind.X ? identity.subscription : undefined;
    const existing = await this.methods.findBySubject(kind, identity.subject);

    if (pending.linkUserId) {
      const userId = pending.linkUserId;
      if (existing && existing.userId !== userId) throw new DomainError(ErrorCode.Conflict, 'This sign-in method already belongs to another account');
      if (!existing) {
        await this.uow.run(async (tx) => {
          try {
            await this.methods.add(tx, userId, kind, identity.subject);
          } catch (err) {
            if ((err as { code?: string }).code === '23505') throw new DomainError(ErrorCode.Conflict, 'This account already has this kind of sign-in method');
            throw err;
          }
          if (subscription !== undefined) await this.methods.setXSubscription(tx, userId, subscription);
          await this.event(tx, EventType.SignInMethodAdded, userId, { userId, kind }, origin);
        });
      }
      const user = await this.users.findById(userId);
      if (!user) throw new DomainError(ErrorCode.Unauthenticated, 'You must be signed in');
      return this.auth.signInVerified(user, origin);
    }

    if (existing) {
      const user = await this.users.findById(existing.userId);
      if (!user) throw new DomainError(ErrorCode.OAuthFailed, 'This account no longer exists');
      if (subscription !== undefined) await this.uow.run((tx) => this.methods.setXSubscription(tx, user.id, subscription));
      return this.auth.signInVerified(user, origin);
    }

    // A new account. Only an address the provider verified counts; X gives none, so X users add one.
    const email = identity.email && identity.emailVerified ? identity.email.trim() : '';
    if (email && !pending.separateAccount) {
      const existingMethods = await this.methods.methodsOfAccountsWithEmail(email);
      if (existingMethods.length > 0) return { email, existingMethods };
    }
    return this.uow.run(async (tx) => {
      const session = await this.auth.openNewAccount(tx, email, null, origin, email !== '');
      await this.methods.add(tx, session.user.id, kind, identity.subject);
      if (subscription !== undefined) await this.methods.setXSubscription(tx, session.user.id, subscription);
      return session;
    });
  }

  /** Adds a password to the caller's account (which signs in with its email and that password). */
  async addPassword(caller: Session, password: string, origin: RequestOrigin): Promise<void> {
    caller.assertRecentAuthentication();
    const userId = caller.requireUserId();
    assertAcceptablePassword(password);
    const user = await this.users.findById(userId);
    if (!user) throw new DomainError(ErrorCode.Unauthenticated, 'You must be signed in');
    if (!user.email) throw new DomainError(ErrorCode.EmailVerificationRequired, 'Add and verify an email address first');
    const hash = await this.hasher.hash(password);
    try {
      await this.uow.run(async (tx) => {
        await this.methods.add(tx, userId, SignInMethodKind.EMAIL_PASSWORD, null);
        await this.methods.setPassword(tx, userId, hash);
        await this.event(tx, EventType.SignInMethodAdded, userId, { userId, kind: SignInMethodKind.EMAIL_PASSWORD }, origin);
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new DomainError(ErrorCode.Conflict, 'This account already has a password, or another account signs in with this email and a password');
      throw err;
    }
  }

  /** Removes one of the caller's sign-in methods; the last one cannot be removed. */
  async remove(caller: Session, kind: SignInMethodKind, origin: RequestOrigin): Promise<void> {
    caller.assertRecentAuthentication();
    const userId = caller.requireUserId();
    await this.uow.run(async (tx) => {
      const outcome = await this.methods.removeUnlessLast(tx, userId, kind);
      if (outcome === 'absent') throw new DomainError(ErrorCode.NotFound, 'This account has no such sign-in method');
      if (outcome === 'last') throw new DomainError(ErrorCode.LastSignInMethod, 'An account keeps at least one sign-in method; add another first');
      if (kind === SignInMethodKind.X) await this.methods.setXSubscription(tx, userId, null);
      await this.event(tx, EventType.SignInMethodRemoved, userId, { userId, kind }, origin);
    });
  }

  private client(kind: SignInMethodKind): OidcClient {
    const client = kind === SignInMethodKind.EMAIL_PASSWORD ? undefined : this.providers[kind];
    if (!client) throw new DomainError(ErrorCode.BadUserInput, `Signing in with ${kind} is not available`, { field: 'provider' });
    return client;
  }

  private async event(tx: Tx, type: string, userId: string, payload: object, origin: RequestOrigin): Promise<void> {
    await this.outbox.enqueue(tx, { type, aggregateId: userId, teamId: null, actor: { userId, ip: origin.ip, userAgent: origin.userAgent }, payload });
  }
}
