import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { AuthResult, SignInMethodKind, type AccountChoiceRequired, type AccountRestoreRequired, type AuthSession, type MfaChallenge } from '../auth/auth.types';
import type { IdentityContext } from '../identity.context';
import { UserType } from '../user/user.type';
import { OAuthAuthorization, SignInMethodType } from './sign-in-method.types';

const originOf = (ctx: IdentityContext) => ({ ip: ctx.claims.ip, userAgent: ctx.claims.userAgent });

@Resolver(() => UserType)
export class SignInMethodResolver {
  @Allow(Access.Self, { user: 'root.id' })
  @FieldResolver(() => [SignInMethodType])
  async signInMethods(@Root() user: UserType, @Ctx() ctx: IdentityContext): Promise<SignInMethodType[]> {
    return (await ctx.services.signInMethods.findByUsers([user.id])).map((m) => ({ kind: m.kind, createdAt: m.createdAt }));
  }

  @Allow(Access.Self, { user: 'root.id' })
  @FieldResolver(() => Boolean)
  async emailVerified(@Root() user: UserType, @Ctx() ctx: IdentityContext): Promise<boolean> {
    return (await ctx.loaders.user.load(user.id))?.emailVerified ?? false;
  }

  @Allow(Access.Self, { user: 'root.id' })
  @FieldResolver(() => String, { nullable: true })
  async xSubscription(@Root() user: UserType, @Ctx() ctx: IdentityContext): Promise<string | null> {
    return (await ctx.loaders.user.load(user.id))?.xSubscription ?? null;
  }

  @Allow(Access.Anonymous)
  @Mutation(() => OAuthAuthorization, {
    description:
      'Starts signing in (or up) with X or Google. Signed in, with a recent sign-in, it links the provider to your account instead. ' +
      'createSeparateAccount: make a new account even when another account uses the same email.',
  })
  startOAuthSignIn(
    @Arg('provider', () => SignInMethodKind) provider: SignInMethodKind,
    @Arg('createSeparateAccount', () => Boolean, { nullable: true }) createSeparateAccount: boolean | null,
    @Ctx() ctx: IdentityContext,
  ): Promise<OAuthAuthorization> {
    return ctx.services.signInMethods.startOAuth(ctx.session, provider, !!createSeparateAccount);
  }

  @Allow(Access.Anonymous)
  @Mutation(() => AuthResult, { description: 'Finishes startOAuthSignIn with the code and state the provider redirected back with.' })
  async completeOAuthSignIn(
    @Arg('provider', () => SignInMethodKind) provider: SignInMethodKind,
    @Arg('code', () => String) code: string,
    @Arg('state', () => String) state: string,
    @Ctx() ctx: IdentityContext,
  ): Promise<AuthSession | MfaChallenge | AccountChoiceRequired | AccountRestoreRequired> {
    const result = await ctx.services.signInMethods.completeOAuth(provider, code, state, originOf(ctx));
    if ('token' in result) ctx.session.signedInWithinRequest(result.user.id, result.sessionId, !result.user.email);
    return result;
  }

  @Allow(Access.SignedIn)
  @Mutation(() => [SignInMethodType], { description: 'Adds a password (signing in with your email) to your account; needs a recent sign-in.' })
  async addPasswordSignInMethod(@Arg('password', () => String) password: string, @Ctx() ctx: IdentityContext): Promise<SignInMethodType[]> {
    await ctx.services.signInMethods.addPassword(ctx.session, password, originOf(ctx));
    return ctx.services.signInMethods.findByUsers([ctx.session.requireUserId()]);
  }

  @Allow(Access.SignedIn)
  @Mutation(() => [SignInMethodType], { description: 'Removes a sign-in method (needs a recent sign-in); the last one cannot be removed (LAST_SIGN_IN_METHOD).' })
  async removeSignInMethod(@Arg('kind', () => SignInMethodKind) kind: SignInMethodKind, @Ctx() ctx: IdentityContext): Promise<SignInMethodType[]> {
    await ctx.services.signInMethods.remove(ctx.session, kind, originOf(ctx));
    return ctx.services.signInMethods.findByUsers([ctx.session.requireUserId()]);
  }
}
