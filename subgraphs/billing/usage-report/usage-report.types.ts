import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BigIntScalar } from '../../kit/scalars';
import { MoneyType } from '../balance/credit-balance.types';

export enum UsageBucketEnum {
  HOUR = 'HOUR',
  DAY = 'DAY',
}
registerEnumType(UsageBucketEnum, { name: 'UsageBucket', description: 'UTC hours (ranges up to 7 days) or UTC days (up to 366 days).' });

export enum UsageGroupByEnum {
  API_KEY = 'API_KEY',
  MODEL = 'MODEL',
}
registerEnumType(UsageGroupByEnum, { name: 'UsageGroupBy' });

@ObjectType('UsageRow', { description: 'Billed usage of one hour or day, for one API key or model.' })
export class UsageRowType {
  @Field(() => Date, { description: 'Start of the hour or day (UTC).' })
  start: Date;

  @Field(() => String, { description: 'The API key id or the model, as grouped.' })
  key: string;

  @Field(() => Int)
  requests: number;

  @Field(() => BigIntScalar, { description: 'As reported, cached ones included; pre-defined tokens not included.' })
  promptTokens: bigint;

  @Field(() => BigIntScalar)
  cachedPromptTokens: bigint;

  @Field(() => BigIntScalar)
  completionTokens: bigint;

  @Field(() => MoneyType, { description: 'What the requests cost, prepaid and invoiced.' })
  cost: MoneyType;
}
