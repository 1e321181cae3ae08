import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { Permission } from '../../kit/session';
import { BigIntScalar } from '../../kit/scalars';
import type { BillingContext } from '../billing.context';
import { BillingTeamType, CreditBalanceType } from './credit-balance.types';
import { toCreditBalance } from './credit-balance.view';
import type { BalanceRow } from './credit-balance.repository';

@Resolver(() => BillingTeamType)
export class TeamBalanceResolver {
  @Allow(Access.TeamMember, { team: 'root.id', scope: Permission.BillingRead })
  @FieldResolver(() => CreditBalanceType)
  async creditBalance(@Root() team: BillingTeamType, @Ctx() ctx: BillingContext): Promise<CreditBalanceType> {
    ctx.services.balances.assertCanRead(ctx.session, team.id);
    return toCreditBalance(await ctx.loaders.balance.load(team.id));
  }
}

@Resolver(() => CreditBalanceType)
export class CreditBalanceSubscriptionResolver {
  @Allow(Access.TeamMember, { team: 'args.teamId', scope: Permission.BillingRead })
  @Subscription(() => CreditBalanceType, {
    description: "Each change to the team's credit balance, for its members.",
    subscribe: ({ args, context }) => (context as BillingContext).services.balances.watch((context as BillingContext).session, args.teamId as string),
  })
  creditBalanceChanged(@Root() balance: BalanceRow, @Arg('teamId', () => ID) _teamId: string): CreditBalanceType {
    return toCreditBalance(balance);
  }
}

@Resolver(() => CreditBalanceType)
export class SpendingLimitResolver {
  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => CreditBalanceType, { description: 'Sets how much usage may be invoiced this month once prepaid credits run out; 0 disables invoiced usage. Team admins only.' })
  async setInvoicedSpendingLimit(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('limitTicks', () => BigIntScalar) limitTicks: bigint,
    @Ctx() ctx: BillingContext,
  ): Promise<CreditBalanceType> {
    return toCreditBalance(await ctx.services.balances.setInvoicedSpendingLimit(ctx.session, teamId, limitTicks));
  }
}

export const billingReferences = {
  Team: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
};
