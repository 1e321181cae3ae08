import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { IdentityContext } from '../identity.context';
import { SessionType } from '../session/session.type';
import { UserType } from './user.type';

@Resolver(() => UserType)
export class UserResolver {
  @Allow(Access.Anonymous, { beforeEmailVerification: true })
  @Query(() => UserType, { nullable: true, description: 'The signed-in user; null when anonymous.' })
  async me(@Ctx() ctx: IdentityContext): Promise<UserType | null> {
    const id = ctx.services.users.currentUserId(ctx.session);
    return id ? ctx.loaders.user.load(id) : null;
  }

  @Allow(Access.Self, { user: 'root.id' })
  @FieldResolver(() => [SessionType])
  sessions(@Root() user: UserType, @Ctx() ctx: IdentityContext): Promise<SessionType[]> {
    return ctx.services.sessions.listForUser(ctx.session, user.id);
  }
}

export const userReference = {
  User: {
    __resolveReference: (ref: { id: string }, ctx: IdentityContext) => ctx.loaders.user.load(ref.id),
  },
};
