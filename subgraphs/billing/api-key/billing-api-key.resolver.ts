import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { Permission } from '../../kit/session';
import { BigIntScalar } from '../../kit/scalars';
import type { BillingContext } from '../billing.context';
import { money } from '../balance/credit-balance.view';
import type { BillingApiKey } from './billing-api-key.repository';
import { BillingApiKeyType } from './billing-api-key.types';

export const toBillingApiKey = (k: BillingApiKey): BillingApiKeyType => ({
  id: k.id,
  teamId: k.teamId,
  monthlySpendCap: k.monthlySpendCapTicks === null ? null : money(k.monthlySpendCapTicks),
  spendThisMonth: money(k.spendThisPeriodTicks),
});

@Resolver(() => BillingApiKeyType)
export class BillingApiKeyResolver {
  @Allow(Access.TeamAdmin, { team: 'args.apiKeyId', teamOf: 'ApiKey' })
  @Mutation(() => BillingApiKeyType, {
    description: 'Sets the most an API key may spend in a calendar month (UTC), or with null removes the cap; usage beyond it is refused with API_KEY_SPEND_CAP_REACHED. Team admins only.',
  })
  async setApiKeyMonthlySpendCap(
    @Arg('apiKeyId', () => ID) apiKeyId: string,
    @Arg('capTicks', () => BigIntScalar, { nullable: true }) capTicks: bigint | null,
    @Ctx() ctx: BillingContext,
  ): Promise<BillingApiKeyType> {
    return toBillingApiKey(await ctx.services.apiKeys.setMonthlySpendCap(ctx.session, apiKeyId, capTicks ?? null));
  }
}

export const billingApiKeyReference = {
  // Named by another subgraph: billing fields only for those who may read the team's billing.
  __resolveReference: async (ref: { id: string }, ctx: BillingContext) => {
    const key = await ctx.loaders.apiKey.load(ref.id);
    return key && ctx.session.can(key.teamId, Permission.BillingRead) ? toBillingApiKey(key) : null;
  },
};
