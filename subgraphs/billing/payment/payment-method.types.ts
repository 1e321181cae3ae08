import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('PaymentMethod', { description: 'A card stored at the payment processor; only brand, last four digits and country are kept here.' })
export class PaymentMethodType {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  brand: string;

  @Field(() => String)
  last4: string;

  @Field(() => String, { description: 'ISO 3166 alpha-2 country that issued the card.' })
  country: string;
}
