import { Arg, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { Permission } from '../../kit/session';
import type { BillingContext } from '../billing.context';
import { BillingTeamType } from '../balance/credit-balance.types';
import { money } from '../balance/credit-balance.view';
import { UsageBucketEnum, UsageGroupByEnum, UsageRowType } from './usage-report.types';

@Resolver(() => BillingTeamType)
export class TeamUsageResolver {
  @Allow(Access.TeamMember, { team: 'root.id', scope: Permission.BillingRead })
  @FieldResolver(() => [UsageRowType], { description: 'Billed usage between from (inclusive) and to (exclusive), per hour or day and per API key or model. Members.' })
  async usage(
    @Root() team: BillingTeamType,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('bucket', () => UsageBucketEnum) bucket: UsageBucketEnum,
    @Arg('groupBy', () => UsageGroupByEnum) groupBy: UsageGroupByEnum,
    @Ctx() ctx: BillingContext,
  ): Promise<UsageRowType[]> {
    const rows = await ctx.services.usageReports.usage(ctx.session, team.id, from, to, bucket, groupBy);
    return rows.map((r) => ({ ...r, cost: money(r.costTicks) }));
  }
}
