import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { TeamContext } from '../team.context';
import { TeamMemberType, TeamUserType } from '../team/team.types';

@Resolver(() => TeamUserType)
export class TeamUserResolver {
  /** The user's memberships in teams the caller shares with them (all of them, for oneself). */
  @FieldResolver(() => [TeamMemberType])
  async teams(@Root() user: TeamUserType, @Ctx() ctx: TeamContext): Promise<TeamMemberType[]> {
    const memberships = await ctx.loaders.membershipsOfUser.load(user.id);
    if (ctx.session.userId === user.id) return memberships;
    return memberships.filter((m) => ctx.session.roleIn(m.teamId));
  }
}

export const teamReferences = {
  User: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
  Team: {
    // Another subgraph may name a team; only its members get it back.
    __resolveReference: (ref: { id: string }, ctx: TeamContext) => (ctx.session.roleIn(ref.id) ? ctx.loaders.team.load(ref.id) : null),
  },
};
