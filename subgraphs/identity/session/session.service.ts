import { randomUUID } from 'node:crypto';
import { forbidden, notFound } from '../../kit/errors';
import { isUuid } from '../../kit/loaders';
import type { Session } from '../../kit/session';
import type { Tx } from '../../kit/transaction';
import type { ApproximateLocator } from '../geoip/approximate-location';
import { SessionEntity } from './session.entity';
import type { SessionRepository } from './session.repository';
import { hashSessionToken, looksLikeSessionToken, newSessionToken } from './session-token';
import type { SessionType } from './session.type';

/** Sessions live 30 days at most, and end after 7 days without use. */
export const SESSION_ABSOLUTE_TTL_MS = 30 * 24 * 3600 * 1000;
export const SESSION_IDLE_TTL_MS = 7 * 24 * 3600 * 1000;
/** How stale `last_seen_at` may get before a request refreshes it (saves a write per request). */
const TOUCH_INTERVAL_MS = 60_000;

export interface ResolvedSession {
  userId: string;
  sessionId: string;
  /** When this session signed in (ms since epoch): sensitive actions want it recent. */
  authenticatedAt: number;
  /** The account has no email yet (an X sign-up): it must add and verify one before anything else. */
  emailVerificationRequired: boolean;
}

export interface RequestOrigin {
  ip?: string;
  userAgent?: string;
}

export class SessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly locator: ApproximateLocator = { locate: () => null },
    private readonly now: () => Date = () => new Date(),
  ) {}

  async open(tx: Tx, userId: string, origin: RequestOrigin): Promise<{ token: string; session: SessionEntity }> {
    const token = newSessionToken();
    const now = this.now();
    const session = Object.assign(new SessionEntity(), {
      id: randomUUID(),
      userId,
      tokenHash: hashSessionToken(token),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_TTL_MS),
      revokedAt: null,
      ip: origin.ip ?? null,
      userAgent: origin.userAgent?.slice(0, 512) ?? null,
    });
    await this.sessions.insert(tx, session);
    return { token, session };
  }

  /** Resolves a bearer token to its live session, or null (unknown, revoked, idle or expired). */
  async resolve(token: string): Promise<ResolvedSession | null> {
    if (!looksLikeSessionToken(token)) return null;
    const session = await this.sessions.findActiveByTokenHash(hashSessionToken(token));
    if (!session) return null;
    const now = this.now();
    if (session.expiresAt <= now) return null;
    if (now.getTime() - session.lastSeenAt.getTime() > SESSION_IDLE_TTL_MS) return null;
    if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) await this.sessions.touch(session.id, now);
    return { userId: session.userId, sessionId: session.id, authenticatedAt: session.createdAt.getTime(), emailVerificationRequired: session.emailMissing };
  }

  async listForUser(caller: Session, userId: string): Promise<SessionType[]> {
    if (caller.userId !== userId) throw forbidden('You can only list your own sessions');
    const rows = await this.sessions.listActiveForUsers([userId], this.now());
    return rows
      .filter((s) => this.now().getTime() - s.lastSeenAt.getTime() <= SESSION_IDLE_TTL_MS)
      .map((s) => ({
        id: s.id,
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        ip: s.ip,
        approximateLocation: this.locator.locate(s.ip),
        userAgent: s.userAgent,
        current: s.id === caller.sessionId,
      }));
  }

  /** Ends one of the caller's own sessions; another user's session id reads as not found. */
  async revoke(caller: Session, sessionId: string): Promise<boolean> {
    const userId = caller.requireUserId();
    if (!isUuid(sessionId) || !(await this.sessions.revoke(userId, sessionId, this.now()))) throw notFound('Session');
    return true;
  }

  /** "Clear your login sessions": ends every session of the caller but the one making the request. */
  revokeAllOthers(caller: Session): Promise<number> {
    const userId = caller.requireUserId();
    return this.sessions.revokeAllExcept(userId, caller.sessionId, this.now());
  }

  /** Ends every session of the user at once (account deletion), in the caller's transaction. */
  endAll(tx: Tx, userId: string): Promise<number> {
    return this.sessions.revokeAllInTx(tx, userId, this.now());
  }

  async signOut(caller: Session): Promise<boolean> {
    const userId = caller.requireUserId();
    return this.sessions.revoke(userId, caller.sessionId!, this.now());
  }
}
