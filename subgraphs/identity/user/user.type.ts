import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { MfaStatus } from '../mfa/mfa.types';
import { SessionType } from '../session/session.type';
import { SignInMethodType } from '../sign-in-method/sign-in-method.types';

@Directive('@key(fields: "id")')
@ObjectType('User')
export class UserType {
  @Field(() => ID)
  id: string;

  @Allow(Access.SelfOrTeammate, { user: 'root.id' })
  @Field(() => String)
  email: string;

  /** Resolved by a field resolver; the user's own sessions only. */
  @Allow(Access.Self, { user: 'root.id' })
  @Field(() => [SessionType])
  sessions?: SessionType[];

  /** Resolved by a field resolver; the user's own only. */
  @Allow(Access.Self, { user: 'root.id' })
  @Field(() => MfaStatus)
  mfa?: MfaStatus;

  /** Resolved by a field resolver; the user's own only. */
  @Allow(Access.Self, { user: 'root.id' })
  @Field(() => [SignInMethodType])
  signInMethods?: SignInMethodType[];

  /** The user's X subscription (e.g. Premium) as X last reported it; null without X. */
  @Allow(Access.Self, { user: 'root.id' })
  @Field(() => String, { nullable: true })
  xSubscription?: string | null;

  /** Whether the user proved they receive mail at `email` (a mailed code, or a provider that verified it). */
  @Allow(Access.Self, { user: 'root.id' })
  @Field(() => Boolean)
  emailVerified?: boolean;
}
