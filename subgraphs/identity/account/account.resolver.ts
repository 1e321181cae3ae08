import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { badInput } from '../../kit/errors';
import { AuthResult, RestoreWithTokenInput, SignInInput, type AccountRestoreRequired, type AuthSession, type MfaChallenge } from '../auth/auth.types';
import type { IdentityContext } from '../identity.context';
import { UserType } from '../user/user.type';
import { AccountDeletion } from './account.types';

const originOf = (ctx: IdentityContext) => ({ ip: ctx.claims.ip, userAgent: ctx.claims.userAgent });

@Resolver()
export class AccountResolver {
  @Allow(Access.SignedIn, { beforeEmailVerification: true })
  @Mutation(() => AccountDeletion, { description: 'Deletes the account (needs a recent sign-in); restorable for 30 days by signing in.' })
  deleteAccount(@Ctx() ctx: IdentityContext): Promise<AccountDeletion> {
    return ctx.services.accounts.deleteAccount(ctx.session, originOf(ctx));
  }

  @Allow(Access.Anonymous)
  @Mutation(() => AuthResult, {
    description:
      'Confirms restoring an account that a sign-in answered AccountRestoreRequired for: with the credentials (`input`), or after a sign-in with X or Google ' +
      'with its restoreToken (`withToken`). Exactly one of the two.',
  })
  async restoreAccount(
    @Arg('input', () => SignInInput, { nullable: true }) input: SignInInput | null,
    @Arg('withToken', () => RestoreWithTokenInput, { nullable: true }) withToken: RestoreWithTokenInput | null,
    @Ctx() ctx: IdentityContext,
  ): Promise<AuthSession | MfaChallenge | AccountRestoreRequired> {
    if (!input === !withToken) throw badInput('Give either the credentials or a restore token', { field: 'input' });
    const result = input
      ? await ctx.services.auth.restoreAccount(input, originOf(ctx))
      : await ctx.services.auth.restoreWithToken(withToken!.restoreToken, { totp: withToken!.totp, recoveryCode: withToken!.recoveryCode }, originOf(ctx));
    if ('token' in result) ctx.session.signedInWithinRequest(result.user.id, result.sessionId, !result.user.email);
    return result;
  }

  @Allow(Access.SignedIn, { beforeEmailVerification: true })
  @Mutation(() => Boolean, { description: 'Mails a code to the new address (needs a recent sign-in); the email changes once it is confirmed.' })
  requestEmailChange(@Arg('newEmail', () => String) newEmail: string, @Ctx() ctx: IdentityContext): Promise<boolean> {
    return ctx.services.accounts.requestEmailChange(ctx.session, newEmail, originOf(ctx));
  }

  @Allow(Access.SignedIn, { beforeEmailVerification: true })
  @Mutation(() => UserType, { description: 'Applies the pending email change with the mailed code; the old address is told.' })
  async confirmEmailChange(@Arg('code', () => String) code: string, @Ctx() ctx: IdentityContext): Promise<UserType> {
    const user = await ctx.services.accounts.confirmEmailChange(ctx.session, code, originOf(ctx));
    ctx.loaders.user.clear(user.id);
    return user;
  }

  @Allow(Access.SignedIn, { beforeEmailVerification: true })
  @Mutation(() => Boolean, { description: 'Mails a new code to verify your (unverified) email address; the earlier code stops working.' })
  requestEmailVerification(@Ctx() ctx: IdentityContext): Promise<boolean> {
    return ctx.services.accounts.requestEmailVerification(ctx.session);
  }

  @Allow(Access.SignedIn, { beforeEmailVerification: true })
  @Mutation(() => UserType, { description: 'Verifies your email address with the code mailed to it; teams act on an address only once it is verified.' })
  async verifyEmail(@Arg('code', () => String) code: string, @Ctx() ctx: IdentityContext): Promise<UserType> {
    const user = await ctx.services.accounts.verifyEmail(ctx.session, code, originOf(ctx));
    ctx.loaders.user.clear(user.id);
    return user;
  }
}
