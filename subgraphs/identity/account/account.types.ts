import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A deleted account: signing in before `restoreBefore` offers to restore it.' })
export class AccountDeletion {
  @Field(() => Date)
  restoreBefore: Date;
}
