import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { BillingContext } from '../billing.context';
import { CreditBalanceType } from '../balance/credit-balance.types';
import { money, toCreditBalance } from '../balance/credit-balance.view';
import type { CreditPurchaseEntity } from './credit-purchase.entity';
import { CreditPurchaseStatusEnum, CreditPurchaseType, PurchaseCreditsInput } from './credit-purchase.types';

const view = (p: CreditPurchaseEntity): CreditPurchaseType => ({
  id: p.id,
  teamId: p.teamId,
  amount: money(BigInt(p.amountTicks)),
  status: p.status as CreditPurchaseStatusEnum,
});

@Resolver(() => CreditPurchaseType)
export class CreditPurchaseResolver {
  @Allow(Access.TeamAdmin, { team: 'args.input.teamId' })
  @Mutation(() => CreditPurchaseType, { description: 'Buys prepaid credits with a stored card; idempotent on input.idempotencyKey. Team admins only.' })
  async purchaseCredits(@Arg('input', () => PurchaseCreditsInput) input: PurchaseCreditsInput, @Ctx() ctx: BillingContext): Promise<CreditPurchaseType> {
    return view(await ctx.services.purchases.purchase(ctx.session, input));
  }

  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => CreditPurchaseType, { description: 'Completes a purchase whose card asked for extra authentication (3-D Secure).' })
  async confirmCreditPurchase(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: BillingContext,
  ): Promise<CreditPurchaseType> {
    return view(await ctx.services.purchases.confirm(ctx.session, teamId, id));
  }

  @FieldResolver(() => CreditBalanceType, { description: "The team's balance after this purchase." })
  async balance(@Root() purchase: CreditPurchaseType, @Ctx() ctx: BillingContext): Promise<CreditBalanceType> {
    return toCreditBalance(await ctx.loaders.balance.load(purchase.teamId));
  }
}
