import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: "The user's multi-factor authentication." })
export class MfaStatus {
  @Field(() => Boolean)
  enabled: boolean;

  @Field(() => Int, { description: 'Unused recovery codes left.' })
  recoveryCodesRemaining: number;
}

@ObjectType({ description: 'A TOTP secret to add to an authenticator app; MFA is on once a first code confirms it.' })
export class MfaEnrollment {
  @Field(() => String, { description: 'The secret in base32, for typing in by hand.' })
  secret: string;

  @Field(() => String, { description: 'otpauth:// URI, to show as a QR code.' })
  otpauthUri: string;
}

@ObjectType({ description: 'Single-use recovery codes, shown once; each signs in once in place of a TOTP code.' })
export class RecoveryCodes {
  @Field(() => [String])
  codes: string[];
}
