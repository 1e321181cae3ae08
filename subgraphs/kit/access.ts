import { Extensions, UseMiddleware, type MiddlewareFn } from 'type-graphql';
import { DomainError, ErrorCode, forbidden, unauthenticated } from './errors';
import type { Permission, Session } from './session';

/**
 * Who may read a field or call an operation, declared next to its definition with `@Allow`.
 * One guard enforces every rule in every subgraph; `docs/authorization.md` is generated from
 * the same declarations.
 */
export enum Access {
  /** Anyone, signed in or not. */
  Anonymous = 'anonymous',
  /** Any signed-in user. */
  SignedIn = 'signed-in',
  /** Only the user the object is (e.g. their own sessions). */
  Self = 'self',
  /** The user themself, or someone who shares a team with them. */
  SelfOrTeammate = 'self-or-teammate',
  /** Members (any role) of the team the object belongs to. */
  TeamMember = 'team-member',
  /** Admins of the team the object belongs to. */
  TeamAdmin = 'team-admin',
  /** Trusted services that report API usage. */
  UsageReporter = 'usage-reporter',
}

/** Where to find an id: `args.<path>` or `root.<path>`, e.g. `args.input.teamId`, `root.id`. */
export type IdPath = `args.${string}` | `root.${string}`;

export interface AccessRule {
  access: Access;
  /** For team rules: the team the object or operation belongs to. */
  team?: IdPath;
  /** With `team`: the path holds the id of this kind of object, whose owning team is looked up. */
  teamOf?: string;
  /** The scope (any of several) a management key of the team needs; without one, management keys are refused. */
  scope?: Permission | readonly Permission[];
  /** For `Self` and `SelfOrTeammate`: the user the object belongs to. */
  user?: IdPath;
  /**
   * For operations: still callable by a user whose account has no email address yet (adding and
   * verifying one, `me`, signing out, deleting the account). Every other operation refuses them.
   */
  beforeEmailVerification?: boolean;
}

/** How a subgraph finds the team that owns an object, by kind (e.g. `ApiKey`), batched per request. */
export type TeamOwners = Record<string, (id: string) => Promise<string | undefined>>;

/** What a subgraph that serves `SelfOrTeammate` fields knows about other users' teams. */
export interface TeammateDirectory {
  teamsOfUser(userId: string): Promise<string[]>;
}

export const ACCESS_EXTENSION = 'access';

function locate(path: IdPath, root: unknown, args: Record<string, unknown>): string | undefined {
  const [source, ...keys] = path.split('.');
  let value: unknown = source === 'args' ? args : root;
  for (const key of keys) value = (value as Record<string, unknown> | null | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** Throws UNAUTHENTICATED or FORBIDDEN unless the caller satisfies the rule. */
export async function enforce(
  rule: AccessRule,
  session: Session,
  root: unknown,
  args: Record<string, unknown>,
  teammates?: TeammateDirectory,
  owners?: TeamOwners,
): Promise<void> {
  // A management key is not a user: it only passes team rules that name a scope it holds.
  const keyRefused = session.principal.kind === 'management-key' && rule.access !== Access.Anonymous && rule.access !== Access.TeamMember && rule.access !== Access.TeamAdmin;
  if (keyRefused) throw forbidden();
  switch (rule.access) {
    case Access.Anonymous:
      return;
    case Access.SignedIn:
      session.requireUserId();
      return;
    case Access.Self: {
      const userId = session.requireUserId();
      if (locate(rule.user!, root, args) !== userId) throw forbidden();
      return;
    }
    case Access.SelfOrTeammate: {
      const userId = session.requireUserId();
      const target = locate(rule.user!, root, args);
      if (target === userId) return;
      const theirTeams = target && teammates ? await teammates.teamsOfUser(target) : [];
      if (!theirTeams.some((teamId) => session.roleIn(teamId))) throw forbidden();
      return;
    }
    case Access.TeamMember:
    case Access.TeamAdmin: {
      const p = session.principal;
      if (p.kind === 'anonymous') throw unauthenticated();
      const located = locate(rule.team!, root, args);
      const teamId = rule.teamOf ? located && (await owners?.[rule.teamOf]?.(located)) : located;
      if (p.kind === 'management-key') {
        const accepted: readonly Permission[] = rule.scope === undefined ? [] : Array.isArray(rule.scope) ? rule.scope : [rule.scope];
        if (!teamId || !accepted.some((scope) => session.can(teamId, scope))) throw forbidden();
        return;
      }
      session.requireUserId();
      const role = teamId ? session.roleIn(teamId) : undefined;
      if (!role || (rule.access === Access.TeamAdmin && role !== 'ADMIN')) throw forbidden();
      return;
    }
    case Access.UsageReporter: {
      const p = session.principal;
      if (p.kind === 'anonymous') throw unauthenticated();
      if (!(p.kind === 'service' && p.service === 'usage-reporter')) throw forbidden();
      return;
    }
    default:
      throw new DomainError(ErrorCode.Internal, 'Unknown access rule');
  }
}

/** Operations (root fields) a user without an email address may not call. Fields below them follow their own rules. */
export function assertEmailVerifiedFor(rule: AccessRule, session: Session, isOperation: boolean): void {
  if (isOperation && session.emailVerificationRequired && !rule.beforeEmailVerification) {
    throw new DomainError(ErrorCode.EmailVerificationRequired, 'Add and verify an email address to use your account');
  }
}

function guard(rule: AccessRule): MiddlewareFn<{ session: Session; teammates?: TeammateDirectory; owners?: TeamOwners }> {
  return async ({ root, args, context, info }, next) => {
    const roots = [info.schema.getQueryType(), info.schema.getMutationType(), info.schema.getSubscriptionType()];
    assertEmailVerifiedFor(rule, context.session, roots.includes(info.parentType));
    await enforce(rule, context.session, root, args, context.teammates, context.owners);
    return next();
  };
}

/** Declares and enforces who may read this field or call this operation. */
export function Allow(access: Access.Anonymous | Access.SignedIn | Access.UsageReporter, where?: { beforeEmailVerification?: boolean }): MethodDecorator & PropertyDecorator;
export function Allow(access: Access.Self | Access.SelfOrTeammate, where: { user: IdPath }): MethodDecorator & PropertyDecorator;
export function Allow(access: Access.TeamMember | Access.TeamAdmin, where: { team: IdPath; teamOf?: string; scope?: Permission | readonly Permission[] }): MethodDecorator & PropertyDecorator;
export function Allow(
  access: Access,
  where: { team?: IdPath; teamOf?: string; user?: IdPath; scope?: Permission | readonly Permission[]; beforeEmailVerification?: boolean } = {},
): MethodDecorator & PropertyDecorator {
  if ((access === Access.TeamMember || access === Access.TeamAdmin) && !where.team) throw new Error(`${access} needs a team path`);
  if ((access === Access.Self || access === Access.SelfOrTeammate) && !where.user) throw new Error(`${access} needs a user path`);
  const rule: AccessRule = { access, ...where };
  const extensions = Extensions({ [ACCESS_EXTENSION]: rule });
  const middleware = UseMiddleware(guard(rule));
  return (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    extensions(target, key as string, descriptor as never);
    middleware(target, key as string, descriptor as never);
  };
}
