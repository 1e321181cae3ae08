import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { toDomain, toMember } from '../member/member.mappers';
import { DomainJoinPolicyEnum, TeamDomainType } from '../member/member.types';
import { actorOf, type TeamContext } from '../team.context';
import { TeamMemberType } from '../team/team.types';

@Resolver()
export class DomainResolver {
  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => TeamDomainType, { description: 'Claims a domain; publish its txtRecord, then call verifyTeamDomain.' })
  async addTeamDomain(@Arg('teamId', () => ID) teamId: string, @Arg('domain', () => String) domain: string, @Ctx() ctx: TeamContext): Promise<TeamDomainType> {
    return toDomain(await ctx.services.domains.add(ctx.session, teamId, domain, actorOf(ctx)));
  }

  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => TeamDomainType, { description: 'Looks the TXT record up now; also re-checks a verified domain.' })
  async verifyTeamDomain(@Arg('teamId', () => ID) teamId: string, @Arg('domainId', () => ID) domainId: string, @Ctx() ctx: TeamContext): Promise<TeamDomainType> {
    return toDomain(await ctx.services.domains.verify(ctx.session, teamId, domainId, actorOf(ctx)));
  }

  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => TeamDomainType)
  async setTeamDomainJoinPolicy(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('domainId', () => ID) domainId: string,
    @Arg('policy', () => DomainJoinPolicyEnum) policy: DomainJoinPolicyEnum,
    @Ctx() ctx: TeamContext,
  ): Promise<TeamDomainType> {
    return toDomain(await ctx.services.domains.setJoinPolicy(ctx.session, teamId, domainId, policy, actorOf(ctx)));
  }

  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => Boolean)
  removeTeamDomain(@Arg('teamId', () => ID) teamId: string, @Arg('domainId', () => ID) domainId: string, @Ctx() ctx: TeamContext): Promise<boolean> {
    return ctx.services.domains.remove(ctx.session, teamId, domainId, actorOf(ctx));
  }

  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => TeamMemberType)
  async approveJoinRequest(@Arg('teamId', () => ID) teamId: string, @Arg('requestId', () => ID) requestId: string, @Ctx() ctx: TeamContext): Promise<TeamMemberType> {
    const request = await ctx.services.domains.decideJoinRequest(ctx.session, teamId, requestId, true, actorOf(ctx));
    return toMember({ teamId, userId: request.userId, role: 'MEMBER', createdAt: request.decidedAt! });
  }

  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => Boolean)
  async refuseJoinRequest(@Arg('teamId', () => ID) teamId: string, @Arg('requestId', () => ID) requestId: string, @Ctx() ctx: TeamContext): Promise<boolean> {
    await ctx.services.domains.decideJoinRequest(ctx.session, teamId, requestId, false, actorOf(ctx));
    return true;
  }
}
