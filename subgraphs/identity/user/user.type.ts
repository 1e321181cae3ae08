import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { SessionType } from '../session/session.type';

@Directive('@key(fields: "id")')
@ObjectType('User')
export class UserType {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  email: string;

  /** Resolved by a field resolver; the user's own sessions only. */
  @Field(() => [SessionType])
  sessions?: SessionType[];
}
