import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { BigIntScalar } from '../../kit/scalars';
import { MoneyType } from '../balance/credit-balance.types';

export enum CreditPurchaseStatusEnum {
  SUCCEEDED = 'SUCCEEDED',
  REQUIRES_CONFIRMATION = 'REQUIRES_CONFIRMATION',
}
registerEnumType(CreditPurchaseStatusEnum, {
  name: 'CreditPurchaseStatus',
  description: 'SUCCEEDED: the credits are on the balance. REQUIRES_CONFIRMATION: the card needs extra authentication; call confirmCreditPurchase.',
});

@InputType('PurchaseCreditsInput')
export class PurchaseCreditsInput {
  @Field(() => ID)
  teamId: string;

  // The scalar itself, not the BigInt constructor: type-graphql would call `new BigInt()` on input.
  @Field(() => BigIntScalar, { description: 'Whole cents: a multiple of 100,000,000 ticks, at least $1.' })
  amountTicks: bigint;

  @Field(() => ID)
  paymentMethodId: string;

  @Field(() => String, { description: 'The same key with the same parameters returns the first result; with different parameters it is an error.' })
  idempotencyKey: string;
}

@ObjectType('CreditPurchase')
export class CreditPurchaseType {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  teamId: string;

  @Field(() => MoneyType)
  amount: MoneyType;

  @Field(() => CreditPurchaseStatusEnum)
  status: CreditPurchaseStatusEnum;
}
