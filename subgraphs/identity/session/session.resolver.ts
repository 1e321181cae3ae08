import { Arg, Ctx, ID, Int, Mutation, Resolver } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { IdentityContext } from '../identity.context';

@Resolver()
export class SessionResolver {
  @Allow(Access.SignedIn)
  @Mutation(() => Boolean, { description: "Ends one of the caller's sessions (e.g. a device they no longer use)." })
  revokeSession(@Arg('id', () => ID) id: string, @Ctx() ctx: IdentityContext): Promise<boolean> {
    return ctx.services.sessions.revoke(ctx.session, id);
  }

  @Allow(Access.SignedIn)
  @Mutation(() => Int, { description: 'Ends every session of the caller except this one; returns how many ended.' })
  revokeAllSessions(@Ctx() ctx: IdentityContext): Promise<number> {
    return ctx.services.sessions.revokeAllOthers(ctx.session);
  }
}
