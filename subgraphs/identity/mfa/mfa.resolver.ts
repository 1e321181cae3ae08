import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { AuthResult, type AuthSession, type AccountRestoreRequired, type MfaChallenge } from '../auth/auth.types';
import type { IdentityContext } from '../identity.context';
import { UserType } from '../user/user.type';
import { MfaEnrollment, MfaStatus, RecoveryCodes } from './mfa.types';

const originOf = (ctx: IdentityContext) => ({ ip: ctx.claims.ip, userAgent: ctx.claims.userAgent });

@Resolver(() => UserType)
export class MfaResolver {
  @Allow(Access.Self, { user: 'root.id' })
  @FieldResolver(() => MfaStatus)
  mfa(@Root() user: UserType, @Ctx() ctx: IdentityContext): Promise<MfaStatus> {
    return ctx.services.mfa.status(user.id);
  }

  @Allow(Access.SignedIn)
  @Mutation(() => MfaEnrollment, { description: 'Starts TOTP enrolment (needs a recent sign-in); confirm with a first code.' })
  startMfaEnrollment(@Ctx() ctx: IdentityContext): Promise<MfaEnrollment> {
    return ctx.services.mfa.startEnrollment(ctx.session);
  }

  @Allow(Access.SignedIn)
  @Mutation(() => RecoveryCodes, { description: 'Turns MFA on with a first TOTP code; answers ten recovery codes, shown once.' })
  confirmMfaEnrollment(@Arg('totp', () => String) totp: string, @Ctx() ctx: IdentityContext): Promise<RecoveryCodes> {
    return ctx.services.mfa.confirmEnrollment(ctx.session, totp, originOf(ctx));
  }

  @Allow(Access.SignedIn)
  @Mutation(() => RecoveryCodes, { description: 'Ten new recovery codes; the earlier ones stop working.' })
  regenerateRecoveryCodes(@Ctx() ctx: IdentityContext): Promise<RecoveryCodes> {
    return ctx.services.mfa.regenerateRecoveryCodes(ctx.session, originOf(ctx));
  }

  @Allow(Access.SignedIn)
  @Mutation(() => Boolean, { description: 'Turns MFA off; needs a recent sign-in and a valid TOTP or recovery code.' })
  disableMfa(
    @Arg('totp', () => String, { nullable: true }) totp: string | null,
    @Arg('recoveryCode', () => String, { nullable: true }) recoveryCode: string | null,
    @Ctx() ctx: IdentityContext,
  ): Promise<boolean> {
    return ctx.services.mfa.disable(ctx.session, { totp, recoveryCode }, originOf(ctx));
  }

  @Allow(Access.Anonymous)
  @Mutation(() => AuthResult, { description: 'Finishes a sign-in (or restore) that answered MfaChallenge, with a TOTP or a recovery code.' })
  async completeMfaChallenge(
    @Arg('challengeId', () => ID) challengeId: string,
    @Arg('totp', () => String, { nullable: true }) totp: string | null,
    @Arg('recoveryCode', () => String, { nullable: true }) recoveryCode: string | null,
    @Ctx() ctx: IdentityContext,
  ): Promise<AuthSession | MfaChallenge | AccountRestoreRequired> {
    const result = await ctx.services.auth.completeMfaChallenge(challengeId, { totp, recoveryCode }, originOf(ctx));
    if ('token' in result) ctx.session.signedInWithinRequest(result.user.id, result.sessionId, !result.user.email);
    return result;
  }
}
