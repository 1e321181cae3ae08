import { Field, Int, ObjectType } from 'type-graphql';
import { MoneyType } from '../balance/credit-balance.types';

@ObjectType('CreditAlerts', { description: "Alerts to the team's Admins (an event and an email) when prepaid credits run low." })
export class CreditAlertsType {
  @Field(() => [Int], { description: 'Percentages of the last top-up, highest first; reaching one alerts once until the next top-up.' })
  thresholdsPercent: number[];

  @Field(() => [Int], { description: 'The thresholds that have alerted since the last top-up.' })
  firedPercent: number[];

  @Field(() => MoneyType, { nullable: true, description: 'The last top-up, which the thresholds are percentages of; null before the first.' })
  lastTopUp: MoneyType | null;
}
