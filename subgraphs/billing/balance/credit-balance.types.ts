import { BigIntScalar } from '../../kit/scalars';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType('Money')
export class MoneyType {
  @Field(() => BigIntScalar)
  ticks: bigint;

  @Field(() => String, { description: 'Exact decimal dollars, e.g. "12.3400000000".' })
  usd: string;
}

@ObjectType('CreditBalance')
export class CreditBalanceType {
  @Field(() => ID)
  teamId: string;

  @Field(() => MoneyType)
  prepaid: MoneyType;

  @Field(() => MoneyType)
  invoicedThisPeriod: MoneyType;

  @Field(() => MoneyType)
  invoicedLimit: MoneyType;

  @Field(() => MoneyType, { description: 'Prepaid credits plus what the invoiced spending limit still allows.' })
  available: MoneyType;

  @Field(() => Date)
  updatedAt: Date;
}

@Directive('@key(fields: "id")')
@ObjectType('Team')
export class BillingTeamType {
  @Field(() => ID)
  id: string;
}
