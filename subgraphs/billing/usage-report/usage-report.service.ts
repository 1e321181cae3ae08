import { badInput } from '../../kit/errors';
import { Permission, type Session } from '../../kit/session';
import type { UsageBucket, UsageGrouping, UsageReportRepository, UsageRow } from './usage-report.repository';

const HOUR_MS = 3600_000;
/** The longest range a query may span: a week of hours, a year of days. */
export const MAX_RANGE_MS: Record<UsageBucket, number> = { HOUR: 7 * 24 * HOUR_MS, DAY: 366 * 24 * HOUR_MS };

/** Usage of a team over time, for its members. */
export class UsageReportService {
  constructor(private readonly rows: UsageReportRepository) {}

  async usage(session: Session, teamId: string, from: Date, to: Date, bucket: UsageBucket, groupBy: UsageGrouping): Promise<UsageRow[]> {
    session.assertPermission(teamId, Permission.BillingRead);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from.getTime() >= to.getTime()) {
      throw badInput('from must be before to', { field: 'from' });
    }
    if (to.getTime() - from.getTime() > MAX_RANGE_MS[bucket]) {
      throw badInput(bucket === 'HOUR' ? 'Hourly usage spans at most 7 days' : 'Daily usage spans at most 366 days', { field: 'to' });
    }
    return this.rows.usage(teamId, from, to, bucket, groupBy);
  }
}
