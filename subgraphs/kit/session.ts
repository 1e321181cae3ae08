import type { Principal, TeamRole } from './auth';
import { DomainError, ErrorCode, forbidden, unauthenticated } from './errors';

/**
 * Named permissions. Services ask for a permission, never for a role, so that who may do
 * what is defined here once.
 */
export const Permission = {
  TeamRead: 'team:read',
  TeamModify: 'team:modify',
  MembersManage: 'team:members:manage',
  BillingRead: 'billing:read',
  BillingManage: 'billing:manage',
  AuditRead: 'audit:read',
  ApiKeysRead: 'api-keys:read',
  ApiKeysWrite: 'api-keys:write',
} as const;

/** What a management key may be granted: read or manage on a partner's behalf, never membership or deletion. */
export const managementScopes = [Permission.TeamRead, Permission.BillingRead, Permission.AuditRead, Permission.ApiKeysRead, Permission.ApiKeysWrite] as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

const permissionsByRole: Record<TeamRole, ReadonlySet<Permission>> = {
  ADMIN: new Set(Object.values(Permission)),
  // Members create keys and manage their own; services narrow "own".
  MEMBER: new Set([Permission.TeamRead, Permission.BillingRead, Permission.ApiKeysRead, Permission.ApiKeysWrite]),
};

/** The caller of one request, with the checks services use to authorize it. */
export class Session {
  constructor(public principal: Principal) {}

  get userId(): string | undefined {
    return this.principal.kind === 'user' ? this.principal.userId : undefined;
  }

  get sessionId(): string | undefined {
    return this.principal.kind === 'user' ? this.principal.sessionId : undefined;
  }

  /** A signed-in user whose account cannot be used until it has a verified email. */
  get emailVerificationRequired(): boolean {
    return this.principal.kind === 'user' && !!this.principal.emailVerificationRequired;
  }

  requireUserId(): string {
    if (this.principal.kind !== 'user') throw unauthenticated();
    return this.principal.userId;
  }

  /**
   * Records a role the caller gained during this request (e.g. by creating a team), so the rest
   * of the same response may show what they just created. Other subgraphs learn it on the next request.
   */
  grantWithinRequest(teamId: string, role: TeamRole): void {
    if (this.principal.kind !== 'user') return;
    this.principal = { ...this.principal, memberships: [...this.principal.memberships.filter((m) => m.teamId !== teamId), { teamId, role }] };
  }

  /** The caller just signed in or up: the rest of this response may show them their own account. */
  signedInWithinRequest(userId: string, sessionId: string, emailVerificationRequired = false): void {
    this.principal = { kind: 'user', userId, sessionId, memberships: [], authenticatedAt: Date.now(), emailVerificationRequired };
  }

  /** Sensitive actions need a sign-in within the last few minutes, not just a live session. */
  assertRecentAuthentication(maxAgeMs = 5 * 60_000, now = Date.now()): void {
    this.requireUserId();
    const at = this.principal.kind === 'user' ? this.principal.authenticatedAt : undefined;
    if (!at || now - at > maxAgeMs) {
      throw new DomainError(ErrorCode.ReauthenticationRequired, 'Sign in again to confirm this action');
    }
  }

  roleIn(teamId: string): TeamRole | undefined {
    if (this.principal.kind !== 'user') return undefined;
    return this.principal.memberships.find((m) => m.teamId === teamId)?.role;
  }

  can(teamId: string, permission: Permission): boolean {
    const p = this.principal;
    if (p.kind === 'management-key') return p.teamId === teamId && p.scopes.includes(permission);
    const role = this.roleIn(teamId);
    return !!role && permissionsByRole[role].has(permission);
  }

  /** A member of the team, or a management key of the team. */
  actsFor(teamId: string): boolean {
    return this.principal.kind === 'management-key' ? this.principal.teamId === teamId : !!this.roleIn(teamId);
  }

  /** The user on whose behalf this request acts: the user, or the Admin who made the management key. */
  get onBehalfOf(): string | undefined {
    return this.principal.kind === 'management-key' ? this.principal.createdBy : this.userId;
  }

  /**
   * Throws unless the caller holds the permission in the team. A caller outside the team is
   * told the team does not exist, so team ids cannot be probed.
   */
  assertPermission(teamId: string, permission: Permission, notMemberError: Error = forbidden()): void {
    if (this.principal.kind === 'management-key') {
      if (!this.can(teamId, permission)) throw this.principal.teamId === teamId ? forbidden() : notMemberError;
      return;
    }
    this.requireUserId();
    const role = this.roleIn(teamId);
    if (!role) throw notMemberError;
    if (!permissionsByRole[role].has(permission)) throw forbidden();
  }
}
