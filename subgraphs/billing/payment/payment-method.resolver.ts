import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { BillingContext } from '../billing.context';
import { BillingTeamType } from '../balance/credit-balance.types';
import { PaymentMethodType } from './payment-method.types';

const view = (m: { id: string; brand: string; last4: string; country: string }): PaymentMethodType => ({ id: m.id, brand: m.brand, last4: m.last4, country: m.country });

@Resolver(() => PaymentMethodType)
export class PaymentMethodResolver {
  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => PaymentMethodType, { description: "Adds a card from the payment processor's token (never a card number). Team admins only." })
  async addPaymentMethod(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('processorToken', () => String) processorToken: string,
    @Ctx() ctx: BillingContext,
  ): Promise<PaymentMethodType> {
    return view(await ctx.services.paymentMethods.add(ctx.session, teamId, processorToken));
  }
}

@Resolver(() => BillingTeamType)
export class TeamPaymentMethodsResolver {
  @Allow(Access.TeamAdmin, { team: 'root.id' })
  @FieldResolver(() => [PaymentMethodType])
  async paymentMethods(@Root() team: BillingTeamType, @Ctx() ctx: BillingContext): Promise<PaymentMethodType[]> {
    ctx.services.paymentMethods.assertCanManage(ctx.session, team.id);
    return (await ctx.loaders.paymentMethods.load(team.id)).map(view);
  }
}
