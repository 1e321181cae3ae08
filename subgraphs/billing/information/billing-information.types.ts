import { Field, InputType, ObjectType } from 'type-graphql';

@ObjectType('BillingInformation', { description: "Who the team's invoices are made out to. Team admins only." })
export class BillingInformationType {
  @Field(() => String)
  legalName: string;

  @Field(() => String)
  address: string;

  @Field(() => String, { description: 'ISO 3166 alpha-2 country of the billing address; decides whether prepaid credits can be refunded.' })
  country: string;

  @Field(() => String, { nullable: true })
  taxId: string | null;

  @Field(() => Date)
  updatedAt: Date;
}

@InputType('BillingInformationInput')
export class BillingInformationInput {
  @Field(() => String)
  legalName: string;

  @Field(() => String)
  address: string;

  @Field(() => String, { description: 'ISO 3166 alpha-2, e.g. "DE".' })
  country: string;

  @Field(() => String, { nullable: true })
  taxId?: string | null;
}
