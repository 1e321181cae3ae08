import { Field, ObjectType } from 'type-graphql';
import { SignInMethodKind } from '../auth/auth.types';

@ObjectType('SignInMethod')
export class SignInMethodType {
  @Field(() => SignInMethodKind)
  kind: SignInMethodKind;

  @Field(() => Date)
  createdAt: Date;
}

@ObjectType()
export class OAuthAuthorization {
  @Field(() => String, { description: "Send the user's browser here; the provider redirects back with `code` and `state`." })
  authorizationUrl: string;

  @Field(() => String, { description: 'Pass back to completeOAuthSignIn with the code.' })
  state: string;
}
