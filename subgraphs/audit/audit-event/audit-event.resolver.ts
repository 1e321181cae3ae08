import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { Permission } from '../../kit/session';
import type { AuditContext } from '../audit.context';
import { AuditEventConnectionType, AuditLogFilterInput, AuditTeamType } from './audit-event.types';

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

export const auditReferences = {
  Team: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
};
