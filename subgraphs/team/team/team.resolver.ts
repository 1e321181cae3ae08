import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { TeamContext } from '../team.context';
import { actorOf } from '../team.context';
import { CreateTeamInput, TeamMemberType, TeamType, UpdateTeamInput } from './team.types';

@Resolver(() => TeamType)
export class TeamResolver {
  @Allow(Access.TeamMember, { team: 'args.id' })
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

  @Allow(Access.TeamMember, { team: 'root.id' })
  @FieldResolver(() => [TeamMemberType])
  async members(@Root() team: TeamType, @Ctx() ctx: TeamContext): Promise<TeamMemberType[]> {
    ctx.services.teams.assertVisible(ctx.session, team.id);
    return ctx.loaders.membersOfTeam.load(team.id);
  }
}
