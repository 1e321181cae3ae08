import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { IdentityContext } from '../identity.context';
import { AuthResult, SignInInput, SignUpInput, type AuthSession } from './auth.types';

const originOf = (ctx: IdentityContext) => ({ ip: ctx.claims.ip, userAgent: ctx.claims.userAgent });

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthResult)
  signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() ctx: IdentityContext): Promise<AuthSession> {
    return ctx.services.auth.signUp(input, originOf(ctx));
  }

  @Mutation(() => AuthResult)
  signIn(@Arg('input', () => SignInInput) input: SignInInput, @Ctx() ctx: IdentityContext): Promise<AuthSession> {
    return ctx.services.auth.signIn(input, originOf(ctx));
  }

  @Mutation(() => Boolean, { description: 'Ends the session that made this request.' })
  signOut(@Ctx() ctx: IdentityContext): Promise<boolean> {
    return ctx.services.sessions.signOut(ctx.session);
  }
}
