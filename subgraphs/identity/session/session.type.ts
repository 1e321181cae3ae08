import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('Session')
export class SessionType {
  @Field(() => ID)
  id: string;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => Date)
  lastSeenAt: Date;

  @Field(() => String, { nullable: true })
  ip: string | null;

  @Field(() => String, { nullable: true })
  approximateLocation: string | null;

  @Field(() => String, { nullable: true })
  userAgent: string | null;

  @Field(() => Boolean)
  current: boolean;
}
