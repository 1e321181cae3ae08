import { randomUUID } from 'node:crypto';
import { ASSERTION_HEADER, signAssertion, type Principal, type TeamMembershipClaim } from '../subgraphs/kit/auth';
import type { SubgraphName } from '../subgraphs/kit/config';

export class InvalidSessionError extends Error {}

type UserPrincipal = Extract<Principal, { kind: 'user' }>;
type KeyPrincipal = Extract<Principal, { kind: 'management-key' }>;
export type AuthenticatedPrincipal = UserPrincipal | KeyPrincipal;

const MANAGEMENT_KEY_PREFIX = 'cgm_';

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

  /** One principal per token (a session or a management key), or null where it is not live. */
  async resolveMany(tokens: string[]): Promise<(AuthenticatedPrincipal | null)[]> {
    const keyTokens = tokens.filter((t) => t.startsWith(MANAGEMENT_KEY_PREFIX));
    const sessionTokens = tokens.filter((t) => !t.startsWith(MANAGEMENT_KEY_PREFIX));
    const [keys, sessions] = await Promise.all([this.resolveManagementKeys(keyTokens), this.resolveSessions(sessionTokens)]);
    const byToken = new Map<string, AuthenticatedPrincipal | null>();
    keyTokens.forEach((t, i) => byToken.set(t, keys[i]));
    sessionTokens.forEach((t, i) => byToken.set(t, sessions[i]));
    return tokens.map((t) => byToken.get(t) ?? null);
  }

  private async resolveManagementKeys(tokens: string[]): Promise<(KeyPrincipal | null)[]> {
    if (tokens.length === 0) return [];
    const { keys } = await this.call<{ keys: ({ keyId: string; teamId: string; scopes: string[]; createdBy: string } | null)[] }>('team', 'resolve-management-keys', { tokens });
    return keys.map((k) => (k ? { kind: 'management-key', ...k } : null));
  }

  private async resolveSessions(tokens: string[]): Promise<(UserPrincipal | null)[]> {
    if (tokens.length === 0) return [];
    const { sessions } = await this.call<{ sessions: ({ userId: string; sessionId: string; authenticatedAt: number; emailVerificationRequired?: boolean } | null)[] }>(
      'identity',
      'resolve-sessions',
      { tokens },
    );
    const userIds = [...new Set(sessions.filter((s) => s !== null).map((s) => s!.userId))];
    const { memberships } = userIds.length
      ? await this.call<{ memberships: Record<string, TeamMembershipClaim[]> }>('team', 'memberships-of-users', { userIds })
      : { memberships: {} as Record<string, TeamMembershipClaim[]> };
    return sessions.map((s) =>
      s
        ? {
            kind: 'user',
            userId: s.userId,
            sessionId: s.sessionId,
            authenticatedAt: s.authenticatedAt,
            memberships: memberships[s.userId] ?? [],
            ...(s.emailVerificationRequired ? { emailVerificationRequired: true } : {}),
          }
        : null,
    );
  }

  async resolve(token: string): Promise<AuthenticatedPrincipal> {
    const [principal] = await this.resolveMany([token]);
    if (!principal) throw new InvalidSessionError('Invalid or expired session token');
    return principal;
  }
}

/** True when `after` lost a team, a role or a scope that `before` had: open subscriptions must end. */
export function lostAccess(before: AuthenticatedPrincipal, after: AuthenticatedPrincipal): boolean {
  if (before.kind === 'management-key' || after.kind === 'management-key') {
    if (before.kind !== after.kind) return true;
    const b = before as KeyPrincipal;
    const a = after as KeyPrincipal;
    return b.teamId !== a.teamId || b.scopes.some((s) => !a.scopes.includes(s));
  }
  return before.memberships.some((m) => {
    const now = after.memberships.find((n) => n.teamId === m.teamId);
    return !now || (m.role === 'ADMIN' && now.role !== 'ADMIN');
  });
}
