import { randomUUID } from 'node:crypto';
import { ASSERTION_HEADER, signAssertion, type Principal, type TeamMembershipClaim } from '../subgraphs/kit/auth';
import type { SubgraphName } from '../subgraphs/kit/config';

export class InvalidSessionError extends Error {}

/**
 * Turns a bearer token into the principal the gateway vouches for: Identity says whose session
 * it is, Team says which teams and roles that user holds. Asked on every request, so a revoked
 * session or a changed role takes effect on the next one.
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

  async resolve(token: string): Promise<Principal> {
    const { session } = await this.call<{ session: { userId: string; sessionId: string } | null }>('identity', 'resolve-session', { token });
    if (!session) throw new InvalidSessionError('Invalid or expired session token');
    const { memberships } = await this.call<{ memberships: TeamMembershipClaim[] }>('team', 'memberships', { userId: session.userId });
    return { kind: 'user', userId: session.userId, sessionId: session.sessionId, memberships };
  }
}
