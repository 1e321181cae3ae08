import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { Permission } from '../../kit/session';
import { MoneyType } from '../balance/credit-balance.types';

/** Billing's fields of Team's API keys. */
@Directive('@key(fields: "id")')
@ObjectType('ApiKey')
export class BillingApiKeyType {
  @Field(() => ID)
  id: string;

  teamId: string;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.BillingRead })
  @Field(() => MoneyType, { nullable: true, description: 'The most the key may spend in a calendar month (UTC); null for no cap. Team admins set it.' })
  monthlySpendCap: MoneyType | null;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.BillingRead })
  @Field(() => MoneyType, {
    nullable: true,
    description: "What requests made with the key cost this calendar month (UTC) so far. Null for callers who may not read the team's billing, and for moments after the key's creation, until Billing has it.",
  })
  spendThisMonth: MoneyType | null;
}
