import { Field, ID, ObjectType } from 'type-graphql';
import { BigIntScalar } from '../../kit/scalars';
import { MoneyType } from '../balance/credit-balance.types';

@ObjectType('InvoiceLine')
export class InvoiceLineType {
  @Field(() => String)
  description: string;

  @Field(() => BigIntScalar, { description: 'Tokens of this kind that were invoiced (the invoiced share of requests paid partly from prepaid credits).' })
  quantity: bigint;

  @Field(() => MoneyType)
  amount: MoneyType;

  @Field(() => String)
  model: string;

  @Field(() => String, { description: 'PROMPT (pre-defined prompt tokens included), CACHED_PROMPT or COMPLETION.' })
  tokenKind: string;
}

@ObjectType('InvoiceBillingDetails', { description: 'The billing information as it was when the invoice was issued.' })
export class InvoiceBillingDetailsType {
  @Field(() => String)
  legalName: string;

  @Field(() => String)
  address: string;

  @Field(() => String)
  country: string;

  @Field(() => String, { nullable: true })
  taxId: string | null;
}

@ObjectType('Invoice', { description: 'Invoiced usage of one month. An issued invoice never changes.' })
export class InvoiceType {
  @Field(() => ID)
  id: string;

  @Field(() => Date)
  periodStart: Date;

  @Field(() => Date, { description: 'The start of the next period (exclusive).' })
  periodEnd: Date;

  @Field(() => String, { description: 'ISSUED, or PREVIEW for the current period so far.' })
  status: string;

  @Field(() => MoneyType)
  total: MoneyType;

  @Field(() => Date, { nullable: true })
  issuedAt: Date | null;

  @Field(() => [InvoiceLineType])
  lines: InvoiceLineType[];

  @Field(() => InvoiceBillingDetailsType, { nullable: true, description: 'Null when the team had no billing information.' })
  billingDetails: InvoiceBillingDetailsType | null;
}
