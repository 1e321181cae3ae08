import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { Permission } from '../../kit/session';
import type { BillingContext } from '../billing.context';
import { BillingTeamType } from '../balance/credit-balance.types';
import { money } from '../balance/credit-balance.view';
import type { CreditAlertRow } from './credit-alert.repository';
import { CreditAlertsType } from './credit-alert.types';

const toCreditAlerts = (r: CreditAlertRow): CreditAlertsType => ({
  thresholdsPercent: r.thresholdsPercent,
  firedPercent: r.firedPercent,
  lastTopUp: r.topUpTicks > 0n ? money(r.topUpTicks) : null,
});

@Resolver(() => BillingTeamType)
export class TeamCreditAlertsResolver {
  @Allow(Access.TeamMember, { team: 'root.id', scope: Permission.BillingRead })
  @FieldResolver(() => CreditAlertsType)
  async creditAlerts(@Root() team: BillingTeamType, @Ctx() ctx: BillingContext): Promise<CreditAlertsType> {
    return toCreditAlerts(await ctx.loaders.creditAlerts.load(team.id));
  }
}

@Resolver(() => CreditAlertsType)
export class CreditAlertsResolver {
  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => CreditAlertsType, {
    description: "Sets the credit alert thresholds, as percentages of the last top-up (e.g. [50, 20, 5]); [] turns alerts off. Team admins only.",
  })
  async setCreditAlertThresholds(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('thresholdsPercent', () => [Int]) thresholdsPercent: number[],
    @Ctx() ctx: BillingContext,
  ): Promise<CreditAlertsType> {
    return toCreditAlerts(await ctx.services.alerts.setThresholds(ctx.session, teamId, thresholdsPercent));
  }
}
