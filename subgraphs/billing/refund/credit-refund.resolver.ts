import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { BigIntScalar } from '../../kit/scalars';
import type { BillingContext } from '../billing.context';
import { CreditBalanceType } from '../balance/credit-balance.types';
import { toCreditBalance } from '../balance/credit-balance.view';

@Resolver()
export class CreditRefundResolver {
  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => CreditBalanceType, {
    description:
      'Refunds unspent prepaid credits of a purchase to its card. Refused with REFUND_NOT_ALLOWED unless the billing country is one where the law requires refunds. Team admins only.',
  })
  async refundCredits(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('purchaseId', () => ID) purchaseId: string,
    @Arg('amountTicks', () => BigIntScalar) amountTicks: bigint,
    @Ctx() ctx: BillingContext,
  ): Promise<CreditBalanceType> {
    return toCreditBalance(await ctx.services.refunds.refund(ctx.session, teamId, purchaseId, amountTicks));
  }
}
