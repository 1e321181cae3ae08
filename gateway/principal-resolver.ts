import { randomUUID } from 'node:crypto';
import { ASSERTION_HEADER, signAssertion, type Principal, type TeamMembershipClaim } from '../subgraphs/kit/auth';
import type { SubgraphName } from '../subgraphs/kit/config';

export class InvalidSessionError extends Error {}

type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/**
 * Turns bearer tokens into the principals the gateway vouches for: Identity says whose session
 * each is, Team says which teams and roles those users hold. Asked on every request (and for
 * open subscriptions, every few seconds), so revocations and role changes take effect promptly.
 */
export class PrincipalResolver {
  constructor(
    private readonly subgraphUrls: Record<SubgraphName, string>,
    private readonly secret: string,
  ) {}

  private async call<T>(subgraph: SubgraphName, route: string, body: unknown): Promise<T> {
    const url = new URL(`/internal/${route}`, this.subgraphUrls[subgraph]);
    const assertion = signAssertion({ principal: { kind: 'service', service: 'gateway' }, requestId: randomUUID() }, this.secret, 30_000);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [ASSERTION_HEADER]: assertion },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`${subgraph} /internal/${route} answered ${response.status}`);
    return (await response.json()) as T;
  }

  /** One principal per token, or null where the token is not a live session. */
  async resolveMany(tokens: string[]): Promise<(UserPrincipal | null)[]> {
    if (tokens.length === 0) return [];
    const { sessions } = await this.call<{ sessions: ({ userId: string; sessionId: string; authenticatedAt: number } | null)[] }>('identity', 'resolve-sessions', { tokens });
    const userIds = [...new Set(sessions.filter((s) => s !== null).map((s) => s!.userId))];
    const { memberships } = userIds.length
      ? await this.call<{ memberships: Record<string, TeamMembershipClaim[]> }>('team', 'memberships-of-users', { userIds })
      : { memberships: {} as Record<string, TeamMembershipClaim[]> };
    return sessions.map((s) =>
      s ? { kind: 'user', userId: s.userId, sessionId: s.sessionId, authenticatedAt: s.authenticatedAt, memberships: memberships[s.userId] ?? [] } : null,
    );
  }

  async resolve(token: string): Promise<UserPrincipal> {
    const [principal] = await this.resolveMany([token]);
    if (!principal) throw new InvalidSessionError('Invalid or expired session token');
    return principal;
  }
}

/** True when `after` lost a team or a role that `before` had: open subscriptions must end. */
export function lostAccess(before: UserPrincipal, after: UserPrincipal): boolean {
  return before.memberships.some((m) => {
    const now = after.memberships.find((n) => n.teamId === m.teamId);
    return !now || (m.role === 'ADMIN' && now.role !== 'ADMIN');
  });
}
