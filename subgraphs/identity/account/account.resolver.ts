import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { AuthResult, SignInInput, type AccountRestoreRequired, type AuthSession, type MfaChallenge } from '../auth/auth.types';
import type { IdentityContext } from '../identity.context';
import { UserType } from '../user/user.type';
import { AccountDeletion } from './account.types';

const originOf = (ctx: IdentityContext) => ({ ip: ctx.claims.ip, userAgent: ctx.claims.userAgent });

@Resolver()
export class AccountResolver {
  @Allow(Access.SignedIn)
  @Mutation(() => AccountDeletion, { description: 'Deletes the account (needs a recent sign-in); restorable for 30 days by signing in.' })
  deleteAccount(@Ctx() ctx: IdentityContext): Promise<AccountDeletion> {
    return ctx.services.accounts.deleteAccount(ctx.session, originOf(ctx));
  }

  @Allow(Access.Anonymous)
  @Mutation(() => AuthResult, { description: 'Confirms restoring an account that signIn answered AccountRestoreRequired for.' })
  async restoreAccount(@Arg('input', () => SignInInput) input: SignInInput, @Ctx() ctx: IdentityContext): Promise<AuthSession | MfaChallenge | AccountRestoreRequired> {
    const result = await ctx.services.auth.restoreAccount(input, originOf(ctx));
    if ('token' in result) ctx.session.signedInWithinRequest(result.user.id, result.sessionId);
    return result;
  }

  @Allow(Access.SignedIn)
  @Mutation(() => Boolean, { description: 'Mails a code to the new address (needs a recent sign-in); the email changes once it is confirmed.' })
  requestEmailChange(@Arg('newEmail', () => String) newEmail: string, @Ctx() ctx: IdentityContext): Promise<boolean> {
    return ctx.services.accounts.requestEmailChange(ctx.session, newEmail, originOf(ctx));
  }

  @Allow(Access.SignedIn)
  @Mutation(() => UserType, { description: 'Applies the pending email change with the mailed code; the old address is told.' })
  async confirmEmailChange(@Arg('code', () => String) code: string, @Ctx() ctx: IdentityContext): Promise<UserType> {
    const user = await ctx.services.accounts.confirmEmailChange(ctx.session, code, originOf(ctx));
    ctx.loaders.user.clear(user.id);
    return user;
  }
}
