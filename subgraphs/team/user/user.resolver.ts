import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { TeamContext } from '../team.context';
import { toApiKey } from '../api-key/api-key.resolver';
import { TeamMemberType, TeamUserType } from '../team/team.types';

@Resolver(() => TeamUserType)
export class TeamUserResolver {
  /** The user's own teams and roles. */
  @Allow(Access.Self, { user: 'root.id' })
  @FieldResolver(() => [TeamMemberType])
  async teams(@Root() user: TeamUserType, @Ctx() ctx: TeamContext): Promise<TeamMemberType[]> {
    // Only the teams this request's principal holds: a membership committed after the gateway
    // resolved the caller (a Personal Team being created, a join) shows from the next request,
    // instead of failing the whole list on the team's own field rules.
    return (await ctx.loaders.membershipsOfUser.load(user.id)).filter((m) => ctx.session.roleIn(m.teamId));
  }
}

export const teamReferences = {
  ApiKey: {
    // Named by another subgraph: only those who may see the key get it back.
    __resolveReference: async (ref: { id: string }, ctx: TeamContext) => {
      const key = await ctx.loaders.apiKey.load(ref.id);
      return key && ctx.services.apiKeys.canManage(ctx.session, key) ? toApiKey(key) : null;
    },
  },
  User: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
  Team: {
    // Another subgraph may name a team; only its members get it back.
    __resolveReference: (ref: { id: string }, ctx: TeamContext) => (ctx.session.roleIn(ref.id) ? ctx.loaders.team.load(ref.id) : null),
  },
};
