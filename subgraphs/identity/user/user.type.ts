import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { SessionType } from '../session/session.type';

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
}
