import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { actorOf, type TeamContext } from '../team.context';
import { TeamMemberType, TeamRoleEnum } from '../team/team.types';
import { toInvitation, toMember } from './member.mappers';
import { InviteTeamMemberResult, type TeamInvitationType } from './member.types';

@Resolver()
export class MemberResolver {
  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => TeamMemberType, { description: 'Adds the account with this email. An email without an account: use inviteTeamMember.' })
  async addTeamMember(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('email', () => String) email: string,
    @Arg('role', () => TeamRoleEnum, { nullable: true }) role: TeamRoleEnum | null,
    @Ctx() ctx: TeamContext,
  ): Promise<TeamMemberType> {
    const outcome = await ctx.services.members.add(ctx.session, teamId, email, role ?? TeamRoleEnum.MEMBER, actorOf(ctx), false);
    if (outcome.kind !== 'member') throw new Error('unreachable: no invitation without inviteIfNoAccount');
    return toMember(outcome.membership);
  }

  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => InviteTeamMemberResult, { description: 'Adds the account with this email, or invites the email when it has none yet.' })
  async inviteTeamMember(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('email', () => String) email: string,
    @Arg('role', () => TeamRoleEnum, { nullable: true }) role: TeamRoleEnum | null,
    @Ctx() ctx: TeamContext,
  ): Promise<TeamMemberType | TeamInvitationType> {
    const outcome = await ctx.services.members.add(ctx.session, teamId, email, role ?? TeamRoleEnum.MEMBER, actorOf(ctx), true);
    return outcome.kind === 'member' ? toMember(outcome.membership) : toInvitation(outcome.invitation);
  }

  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => TeamMemberType)
  async changeTeamMemberRole(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('userId', () => ID) userId: string,
    @Arg('role', () => TeamRoleEnum) role: TeamRoleEnum,
    @Ctx() ctx: TeamContext,
  ): Promise<TeamMemberType> {
    return toMember(await ctx.services.members.changeRole(ctx.session, teamId, userId, role, actorOf(ctx)));
  }

  @Allow(Access.TeamMember, { team: 'args.teamId' })
  @Mutation(() => Boolean, { description: 'Admins remove anyone; a member may remove themself.' })
  removeTeamMember(@Arg('teamId', () => ID) teamId: string, @Arg('userId', () => ID) userId: string, @Ctx() ctx: TeamContext): Promise<boolean> {
    return ctx.services.members.remove(ctx.session, teamId, userId, actorOf(ctx));
  }

  @Allow(Access.TeamMember, { team: 'args.teamId' })
  @Mutation(() => Boolean)
  leaveTeam(@Arg('teamId', () => ID) teamId: string, @Ctx() ctx: TeamContext): Promise<boolean> {
    return ctx.services.members.remove(ctx.session, teamId, ctx.session.requireUserId(), actorOf(ctx));
  }

  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => Boolean)
  cancelTeamInvitation(@Arg('teamId', () => ID) teamId: string, @Arg('invitationId', () => ID) invitationId: string, @Ctx() ctx: TeamContext): Promise<boolean> {
    return ctx.services.members.cancelInvitation(ctx.session, teamId, invitationId, actorOf(ctx));
  }
}
