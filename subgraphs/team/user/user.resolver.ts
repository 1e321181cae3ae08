import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { TeamContext } from '../team.context';
import { TeamMemberType, TeamUserType } from '../team/team.types';

@Resolver(() => TeamUserType)
export class TeamUserResolver {
  /** The user's own teams and roles. */
  @Allow(Access.Self, { user: 'root.id' })
  @FieldResolver(() => [TeamMemberType])
  teams(@Root() user: TeamUserType, @Ctx() ctx: TeamContext): Promise<TeamMemberType[]> {
    return ctx.loaders.membershipsOfUser.load(user.id);
  }
}

export const teamReferences = {
  User: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
  Team: {
    // Another subgraph may name a team; only its members get it back.
    __resolveReference: (ref: { id: string }, ctx: TeamContext) => (ctx.session.roleIn(ref.id) ? ctx.loaders.team.load(ref.id) : null),
  },
};
