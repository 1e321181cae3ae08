import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { IdentityContext } from '../identity.context';

const originOf = (ctx: IdentityContext) => ({ ip: ctx.claims.ip, userAgent: ctx.claims.userAgent });

@Resolver()
export class PasswordResetResolver {
  @Allow(Access.Anonymous)
  @Mutation(() => Boolean, { description: 'Mails a password reset link if an account signs in with this email and a password; the answer is the same either way.' })
  requestPasswordReset(@Arg('email', () => String) email: string, @Ctx() ctx: IdentityContext): Promise<boolean> {
    return ctx.services.passwordResets.request(email, originOf(ctx));
  }

  @Allow(Access.Anonymous)
  @Mutation(() => Boolean, {
    description: 'Sets a new password with the token of a mailed link (once; it expires after an hour) and signs out every session. PASSWORD_RESET_INVALID, _EXPIRED or _USED otherwise.',
  })
  resetPassword(@Arg('token', () => String) token: string, @Arg('newPassword', () => String) newPassword: string, @Ctx() ctx: IdentityContext): Promise<boolean> {
    return ctx.services.passwordResets.reset(token, newPassword, originOf(ctx));
  }
}
