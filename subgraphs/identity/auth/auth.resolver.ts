import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { IdentityContext } from '../identity.context';
import { AuthResult, SignInInput, SignUpInput, type AccountChoiceRequired, type AccountRestoreRequired, type AuthSession, type MfaChallenge } from './auth.types';

const originOf = (ctx: IdentityContext) => ({ ip: ctx.claims.ip, userAgent: ctx.claims.userAgent });

@Resolver()
export class AuthResolver {
  @Allow(Access.Anonymous)
  @Mutation(() => AuthResult)
  async signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() ctx: IdentityContext): Promise<AuthSession | AccountChoiceRequired> {
    const result = await ctx.services.auth.signUp(input, originOf(ctx));
    if ('token' in result) ctx.session.signedInWithinRequest(result.user.id, result.sessionId, !result.user.email);
    return result;
  }

  @Allow(Access.Anonymous)
  @Mutation(() => AuthResult, { description: 'AuthSession, or MfaChallenge when MFA is on and no code was given, or AccountRestoreRequired for a deleted account.' })
  async signIn(@Arg('input', () => SignInInput) input: SignInInput, @Ctx() ctx: IdentityContext): Promise<AuthSession | MfaChallenge | AccountRestoreRequired> {
    const result = await ctx.services.auth.signIn(input, originOf(ctx));
    if ('token' in result) ctx.session.signedInWithinRequest(result.user.id, result.sessionId, !result.user.email);
    return result;
  }

  @Allow(Access.SignedIn, { beforeEmailVerification: true })
  @Mutation(() => Boolean, { description: 'Ends the session that made this request.' })
  signOut(@Ctx() ctx: IdentityContext): Promise<boolean> {
    return ctx.services.sessions.signOut(ctx.session);
  }
}
