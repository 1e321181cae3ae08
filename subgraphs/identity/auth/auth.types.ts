import { createUnionType, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { UserType } from '../user/user.type';

export enum SignInMethodKind {
  EMAIL_PASSWORD = 'EMAIL_PASSWORD',
  X = 'X',
  GOOGLE = 'GOOGLE',
}
registerEnumType(SignInMethodKind, { name: 'SignInMethodKind' });

@ObjectType()
export class AuthSession {
  @Field(() => String, { description: 'Bearer token for the Authorization header; shown once.' })
  token: string;

  @Field(() => UserType)
  user: UserType;

  @Field(() => Date)
  expiresAt: Date;

  sessionId: string;
}

@ObjectType()
export class MfaChallenge {
  @Field(() => ID)
  challengeId: string;
}

@ObjectType()
export class AccountChoiceRequired {
  @Field(() => String)
  email: string;

  @Field(() => [SignInMethodKind])
  existingMethods: SignInMethodKind[];
}

@ObjectType()
export class AccountRestoreRequired {
  @Field(() => Date)
  restoreBefore: Date;

  @Field(() => String, {
    nullable: true,
    description: 'After a sign-in with X or Google (no password to repeat): pass to restoreAccount to confirm the restore. Single use; expires in 10 minutes.',
  })
  restoreToken?: string | null;
}

export const AuthResult = createUnionType({
  name: 'AuthResult',
  types: () => [AuthSession, MfaChallenge, AccountChoiceRequired, AccountRestoreRequired] as const,
  resolveType: (value) => {
    if ('token' in value) return 'AuthSession';
    if ('challengeId' in value) return 'MfaChallenge';
    if ('existingMethods' in value) return 'AccountChoiceRequired';
    return 'AccountRestoreRequired';
  },
});

@InputType()
export class SignUpInput {
  @Field(() => String)
  email: string;

  @Field(() => String)
  password: string;

  @Field(() => Boolean, { nullable: true, description: 'Create a new account even though another account (with another sign-in method) uses this email.' })
  createSeparateAccount?: boolean | null;
}

@InputType()
export class SignInInput {
  @Field(() => String)
  email: string;

  @Field(() => String)
  password: string;

  @Field(() => String, { nullable: true })
  totp?: string;

  @Field(() => String, { nullable: true })
  recoveryCode?: string;
}

@InputType({ description: 'Confirms a restore that a sign-in with X or Google offered.' })
export class RestoreWithTokenInput {
  @Field(() => String)
  restoreToken: string;

  @Field(() => String, { nullable: true })
  totp?: string;

  @Field(() => String, { nullable: true })
  recoveryCode?: string;
}
