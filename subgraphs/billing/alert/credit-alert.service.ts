import { badInput } from '../../kit/errors';
import { EventType, type CreditAlertThresholdCrossedPayload, type EventActor, type Outbox } from '../../kit/events';
import { Permission, type Session } from '../../kit/session';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { crossedThresholds, MAX_THRESHOLDS, thresholdTicksOf, validThresholds } from './credit-alert-rules';
import type { CreditAlertRepository, CreditAlertRow } from './credit-alert.repository';

/**
 * Credit alerts: an Admin sets thresholds as percentages of the last top-up; a debit that takes
 * prepaid credits to or below one produces one `billing.balance.alert_threshold_crossed` event,
 * in the debit's transaction. Team, which knows the Admins and their addresses, mails them.
 */
export class CreditAlertService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly alerts: CreditAlertRepository,
    private readonly outbox: Outbox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async ofTeams(teamIds: readonly string[]): Promise<CreditAlertRow[]> {
    const rows = new Map((await this.alerts.findByTeams(teamIds)).map((r) => [r.teamId, r]));
    return teamIds.map((teamId) => rows.get(teamId) ?? { teamId, thresholdsPercent: [], topUpTicks: 0n, firedPercent: [] });
  }

  async setThresholds(session: Session, teamId: string, percents: number[]): Promise<CreditAlertRow> {
    session.assertPermission(teamId, Permission.BillingManage);
    if (!validThresholds(percents)) {
      throw badInput(`Thresholds are up to ${MAX_THRESHOLDS} distinct whole percentages from 1 to 99`, { field: 'thresholdsPercent' });
    }
    const sorted = [...percents].sort((a, b) => b - a);
    return this.uow.run((tx) => this.alerts.setThresholds(tx, teamId, sorted, this.now()));
  }

  /** A top-up re-arms every threshold, now a percentage of this top-up. In the top-up's transaction. */
  rearmIn(tx: Tx, teamId: string, topUpTicks: bigint): Promise<void> {
    return this.alerts.rearm(tx, teamId, topUpTicks, this.now());
  }

  /**
   * After debits that lowered these teams' prepaid credits, inside the same transaction (which
   * holds their balance rows): one event for each threshold newly reached, marked as fired.
   */
  async debitedIn(tx: Tx, debited: { teamId: string; prepaidTicks: bigint }[], actor: EventActor | null = null): Promise<void> {
    if (debited.length === 0) return;
    const armed = await this.alerts.lockArmed(tx, debited.map((d) => d.teamId).sort());
    const fired: { teamId: string; firedPercent: number[] }[] = [];
    const events: { teamId: string; payload: CreditAlertThresholdCrossedPayload }[] = [];
    for (const state of armed) {
      const prepaidTicks = debited.find((d) => d.teamId === state.teamId)!.prepaidTicks;
      const crossed = crossedThresholds(state, prepaidTicks);
      if (crossed.length === 0) continue;
      fired.push({ teamId: state.teamId, firedPercent: [...state.firedPercent, ...crossed] });
      for (const percent of crossed) {
        events.push({
          teamId: state.teamId,
          payload: {
            teamId: state.teamId,
            thresholdPercent: percent,
            thresholdTicks: thresholdTicksOf(state.topUpTicks, percent).toString(),
            topUpTicks: state.topUpTicks.toString(),
            prepaidTicks: prepaidTicks.toString(),
          },
        });
      }
    }
    if (events.length === 0) return;
    await this.alerts.markFired(tx, fired, this.now());
    await this.outbox.enqueue(tx, ...events.map((e) => ({ type: EventType.CreditAlertThresholdCrossed, aggregateId: e.teamId, teamId: e.teamId, actor, payload: e.payload })));
  }
}
