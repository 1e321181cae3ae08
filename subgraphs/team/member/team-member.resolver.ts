import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { TeamContext } from '../team.context';
import { TeamMemberType, TeamType, TeamUserType } from '../team/team.types';

@Resolver(() => TeamMemberType)
export class TeamMemberResolver {
  @FieldResolver(() => TeamType)
  async team(@Root() member: TeamMemberType, @Ctx() ctx: TeamContext): Promise<TeamType> {
    const team = await ctx.loaders.team.load(member.teamId);
    if (!team) throw new Error(`membership refers to missing team ${member.teamId}`);
    return team;
  }

  @FieldResolver(() => TeamUserType)
  user(@Root() member: TeamMemberType): TeamUserType {
    return { id: member.userId };
  }
}
