import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { Permission } from '../../kit/session';
import type { AuditContext } from '../audit.context';
import { AuditEventConnectionType, AuditEventType, AuditLogFilterInput, AuditLogVerificationType, AuditTeamType } from './audit-event.types';

@Resolver(() => AuditTeamType)
export class AuditLogResolver {
  @Allow(Access.TeamAdmin, { team: 'args.teamId', scope: Permission.AuditRead })
  @Query(() => AuditEventConnectionType, { description: "The team's audit log, newest first; team admins only." })
  auditLog(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('filter', () => AuditLogFilterInput, { nullable: true }) filter: AuditLogFilterInput | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: AuditContext,
  ): Promise<AuditEventConnectionType> {
    return ctx.services.audit.search(ctx.session, teamId, filter ?? {}, first, after);
  }

  @Allow(Access.TeamAdmin, { team: 'root.id', scope: Permission.AuditRead })
  @FieldResolver(() => AuditEventConnectionType, { name: 'auditLog' })
  teamAuditLog(
    @Root() team: AuditTeamType,
    @Arg('filter', () => AuditLogFilterInput, { nullable: true }) filter: AuditLogFilterInput | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: AuditContext,
  ): Promise<AuditEventConnectionType> {
    return ctx.services.audit.search(ctx.session, team.id, filter ?? {}, first, after);
  }
}

@Resolver()
export class AuditVerificationResolver {
  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Query(() => AuditLogVerificationType, { description: "Recomputes the team's audit hash chain and reports the first break; team admins only." })
  verifyAuditLog(@Arg('teamId', () => ID) teamId: string, @Ctx() ctx: AuditContext): Promise<AuditLogVerificationType> {
    return ctx.services.audit.verify(ctx.session, teamId);
  }
}

@Resolver()
export class AuditStreamResolver {
  /** The guard runs at subscription start and again for every event delivered. */
  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Subscription(() => AuditEventType, {
    description:
      "The team's audit events after the cursor `after`, oldest first, then each new one as it is recorded (without `after`, only new ones); team admins only. Resume after a disconnect with the last cursor received.",
    subscribe: ({ args, context }) => (context as AuditContext).services.audit.stream((context as AuditContext).session, args.teamId as string, args.after as string | null),
  })
  auditEvents(
    @Root() event: AuditEventType,
    @Arg('teamId', () => ID) _teamId: string,
    @Arg('after', () => String, { nullable: true }) _after: string | null,
  ): AuditEventType {
    return event;
  }
}

export const auditReferences = {
  Team: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
};
