import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { managementScopes, Permission } from '../../kit/session';
import type { TeamContext } from '../team.context';
import { actorOf } from '../team.context';
import { CreateTeamInput, TeamMemberType, TeamType, UpdateTeamInput } from './team.types';
import { toDomain, toInvitation, toJoinRequest } from '../member/member.mappers';
import { TeamDomainType, TeamInvitationType, TeamJoinRequestType } from '../member/member.types';

@Resolver(() => TeamType)
export class TeamResolver {
  @Allow(Access.TeamMember, { team: 'args.id', scope: managementScopes })
  @Query(() => TeamType, { nullable: true, description: 'A team the caller is a member of.' })
  team(@Arg('id', () => ID) id: string, @Ctx() ctx: TeamContext): Promise<TeamType | null> {
    return ctx.loaders.team.load(id);
  }

  @Allow(Access.SignedIn)
  @Mutation(() => TeamType)
  createTeam(@Arg('input', () => CreateTeamInput) input: CreateTeamInput, @Ctx() ctx: TeamContext): Promise<TeamType> {
    return ctx.services.teams.createTeam(ctx.session, input, actorOf(ctx));
  }

  @Allow(Access.TeamAdmin, { team: 'args.id' })
  @Mutation(() => TeamType)
  updateTeam(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateTeamInput) input: UpdateTeamInput,
    @Ctx() ctx: TeamContext,
  ): Promise<TeamType> {
    return ctx.services.teams.updateTeam(ctx.session, id, input, actorOf(ctx));
  }

  @Allow(Access.TeamAdmin, { team: 'args.id' })
  @Mutation(() => Boolean, { description: 'Deletes a team and forfeits its prepaid credits. Needs a sign-in within the last 5 minutes; not for a Personal Team.' })
  deleteTeam(@Arg('id', () => ID) id: string, @Ctx() ctx: TeamContext): Promise<boolean> {
    return ctx.services.teams.deleteTeam(ctx.session, id, actorOf(ctx));
  }

  @Allow(Access.TeamAdmin, { team: 'root.id' })
  @FieldResolver(() => [TeamInvitationType], { description: 'Pending invitations; Admins only.' })
  async invitations(@Root() team: TeamType, @Ctx() ctx: TeamContext): Promise<TeamInvitationType[]> {
    return (await ctx.loaders.pendingInvitationsOfTeam.load(team.id)).map(toInvitation);
  }

  @Allow(Access.TeamAdmin, { team: 'root.id' })
  @FieldResolver(() => [TeamDomainType], { description: 'Claimed and verified domains; Admins only.' })
  async domains(@Root() team: TeamType, @Ctx() ctx: TeamContext): Promise<TeamDomainType[]> {
    return (await ctx.loaders.domainsOfTeam.load(team.id)).map(toDomain);
  }

  @Allow(Access.TeamAdmin, { team: 'root.id' })
  @FieldResolver(() => [TeamJoinRequestType], { description: 'People at a verified domain asking to join; Admins only.' })
  async joinRequests(@Root() team: TeamType, @Ctx() ctx: TeamContext): Promise<TeamJoinRequestType[]> {
    return (await ctx.loaders.pendingJoinRequestsOfTeam.load(team.id)).map(toJoinRequest);
  }

  @Allow(Access.TeamMember, { team: 'root.id', scope: Permission.TeamRead })
  @FieldResolver(() => [TeamMemberType])
  async members(@Root() team: TeamType, @Ctx() ctx: TeamContext): Promise<TeamMemberType[]> {
    ctx.services.teams.assertVisible(ctx.session, team.id);
    return ctx.loaders.membersOfTeam.load(team.id);
  }
}
