import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode } from '../../kit/errors';
import { EventType, type Outbox, type UserSignedUpPayload } from '../../kit/events';
import type { UnitOfWork } from '../../kit/transaction';
import type { SessionService, RequestOrigin } from '../session/session.service';
import type { UserRepository } from '../user/user.repository';
import type { AuthSession } from './auth.types';
import { assertAcceptablePassword, normalizeEmail } from './credentials';
import type { PasswordHasher } from './password-hasher';
import type { SignInLimiter } from './sign-in-limiter';

export class AuthService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly sessions: SessionService,
    private readonly hasher: PasswordHasher,
    private readonly outbox: Outbox,
    private readonly limiter: SignInLimiter,
  ) {}

  /** Creates an account with an email and password, signs it in, and announces the sign-up. */
  async signUp(input: { email: string; password: string }, origin: RequestOrigin): Promise<AuthSession> {
    const email = normalizeEmail(input.email);
    assertAcceptablePassword(input.password);
    if (await this.users.findPasswordAccountByEmail(email)) {
      throw new DomainError(ErrorCode.EmailTaken, 'An account with this email already exists; sign in instead');
    }
    const passwordHash = await this.hasher.hash(input.password);
    try {
      return await this.uow.run(async (tx) => {
        const user = await this.users.insert(tx, { id: randomUUID(), email, passwordHash });
        const { token, session } = await this.sessions.open(tx, user.id, origin);
        const payload: UserSignedUpPayload = { userId: user.id, email: user.email };
        await this.outbox.enqueue(tx, {
          type: EventType.UserSignedUp,
          aggregateId: user.id,
          teamId: null,
          actor: { userId: user.id, ip: origin.ip, userAgent: origin.userAgent },
          payload,
        });
        return { token, user: { id: user.id, email: user.email }, expiresAt: session.expiresAt, sessionId: session.id };
      });
    } catch (err) {
      // Two sign-ups racing for one email: the unique index decides, the loser gets the same answer.
      if ((err as { code?: string }).code === '23505') {
        throw new DomainError(ErrorCode.EmailTaken, 'An account with this email already exists; sign in instead');
      }
      throw err;
    }
  }

  /** The same answer for an unknown email and a wrong password, so accounts cannot be enumerated. */
  async signIn(input: { email: string; password: string }, origin: RequestOrigin): Promise<AuthSession> {
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
    if (!user || !ok) {
      await this.limiter.recordFailure(input.email, origin.ip);
      throw invalid;
    }
    const { token, session } = await this.uow.run((tx) => this.sessions.open(tx, user.id, origin));
    return { token, user: { id: user.id, email: user.email }, expiresAt: session.expiresAt, sessionId: session.id };
  }
}
