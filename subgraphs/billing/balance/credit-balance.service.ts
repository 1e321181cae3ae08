import { randomUUID } from 'node:crypto';
import { badInput } from '../../kit/errors';
import { EventType, type EventActor, type Outbox } from '../../kit/events';
import type { LiveNotices, PostgresPubSub } from '../../kit/pubsub';
import { Permission, type Session } from '../../kit/session';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import type { CreditAlertService } from '../alert/credit-alert.service';
import { LedgerEntryEntity, type LedgerEntryKind } from '../ledger/ledger-entry.entity';
import { periodStartOf } from '../ledger/period';
import type { BalanceRow, CreditBalanceRepository } from './credit-balance.repository';
import { coalesce } from './coalesce';
import { emptyBalance, fromMessage, toMessage, type BalanceMessage } from './credit-balance.view';

/** At most 10 live balance pushes a second per team and subscriber. */
export const LIVE_BALANCE_INTERVAL_MS = 100;

export const balanceTopic = (teamId: string) => `balance:${teamId}`;

export interface Posting {
  teamId: string;
  kind: LedgerEntryKind;
  prepaidDeltaTicks: bigint;
  invoicedDeltaTicks?: bigint;
  reference?: string;
  actor: EventActor | null;
}

/** The balance as of `at`: invoiced usage of a period that has ended no longer counts. */
export function currentOf(row: BalanceRow, at: Date): BalanceRow {
  const period = periodStartOf(at);
  return row.periodStart < period ? { ...row, invoicedThisPeriodTicks: 0n, periodStart: period } : row;
}

const liveMessage = (balance: BalanceRow) => ({ topic: balanceTopic(balance.teamId), payload: toMessage(balance) });

export class CreditBalanceService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly balances: CreditBalanceRepository,
    private readonly outbox: Outbox,
    private readonly live: PostgresPubSub,
    private readonly now: () => Date = () => new Date(),
    private readonly maxInvoicedLimitTicks: bigint = 10n ** 16n,
    private readonly alerts?: CreditAlertService,
  ) {}

  /** Balances of the given teams, zero for teams with no ledger entries. */
  async balancesOf(teamIds: readonly string[]): Promise<BalanceRow[]> {
    const rows = await this.balances.findByTeams(teamIds);
    const byTeam = new Map(rows.map((r) => [r.teamId, r]));
    const at = this.now();
    return teamIds.map((id) => currentOf(byTeam.get(id) ?? emptyBalance(id, at), at));
  }

  assertCanRead(session: Session, teamId: string): void {
    session.assertPermission(teamId, Permission.BillingRead);
  }

  /**
   * Records a movement of money: ledger entry, balance, domain event and live update commit
   * together or not at all.
   */
  async post(posting: Posting): Promise<BalanceRow> {
    return this.uow.run((tx) => this.postIn(tx, posting));
  }

  /** `post` inside the caller's transaction. */
  async postIn(tx: Tx, posting: Posting): Promise<BalanceRow> {
    const at = this.now();
    const entry = Object.assign(new LedgerEntryEntity(), {
      id: randomUUID(),
      teamId: posting.teamId,
      kind: posting.kind,
      prepaidDeltaTicks: posting.prepaidDeltaTicks.toString(),
      invoicedDeltaTicks: (posting.invoicedDeltaTicks ?? 0n).toString(),
      reference: posting.reference ?? null,
      periodStart: periodStartOf(at),
      createdAt: at,
    });
    const balance = await this.balances.post(tx, entry);
    // Alert thresholds are percentages of the last top-up, and a top-up re-arms them.
    if (posting.kind === 'PURCHASE' && posting.prepaidDeltaTicks > 0n) await this.alerts?.rearmIn(tx, posting.teamId, posting.prepaidDeltaTicks);
    await this.announce(tx, [{ balance, kind: entry.kind, entryId: entry.id }], posting.actor);
    return balance;
  }

  /** Locks the team's balance row for the rest of the transaction; zero when it has none yet. */
  async lockIn(tx: Tx, teamId: string): Promise<BalanceRow> {
    const [row] = await this.balances.lock(tx, [teamId]);
    const at = this.now();
    return currentOf(row ?? emptyBalance(teamId, at), at);
  }

  /** Forfeits all prepaid credits (team deleted) and stops invoiced usage, in the caller's transaction. */
  async forfeitIn(tx: Tx, teamId: string, reference: string, actor: EventActor | null): Promise<void> {
    const balance = await this.lockIn(tx, teamId);
    if (balance.invoicedLimitTicks > 0n) {
      const at = this.now();
      await this.balances.setLimit(tx, teamId, 0n, periodStartOf(at), at);
    }
    if (balance.prepaidTicks !== 0n) {
      await this.postIn(tx, { teamId, kind: 'FORFEIT', prepaidDeltaTicks: -balance.prepaidTicks, reference, actor });
    }
  }

  /** Admins set the invoiced spending limit; 0 disables invoiced usage. */
  async setInvoicedSpendingLimit(session: Session, teamId: string, limitTicks: bigint): Promise<BalanceRow> {
    session.assertPermission(teamId, Permission.BillingManage);
    if (limitTicks < 0n) throw badInput('The spending limit cannot be negative', { field: 'limitTicks' });
    if (limitTicks > this.maxInvoicedLimitTicks) {
      throw badInput(`The spending limit can be at most ${this.maxInvoicedLimitTicks} ticks; contact sales for more`, { field: 'limitTicks' });
    }
    return this.uow.run(async (tx) => {
      const at = this.now();
      await this.balances.lock(tx, [teamId]);
      const balance = currentOf(await this.balances.setLimit(tx, teamId, limitTicks, periodStartOf(at), at), at);
      await this.announce(tx, [{ balance, kind: 'LIMIT_CHANGED', entryId: null }], { userId: session.userId });
      return balance;
    });
  }

  /** The domain event and the live update of changed balances, inside the transaction that changed them. */
  async announce(tx: Tx, changes: { balance: BalanceRow; kind: string; entryId: string | null }[], actor: EventActor | null): Promise<void> {
    if (changes.length === 0) return;
    await this.outbox.enqueue(
      tx,
      ...changes.map(({ balance, kind, entryId }) => ({
        type: EventType.CreditBalanceChanged,
        aggregateId: balance.teamId,
        teamId: balance.teamId,
        actor,
        payload: { entryId, kind, ...toMessage(balance) },
      })),
    );
    await this.announceLive(tx, changes.map((c) => c.balance));
  }

  private async announceLive(tx: Tx, balances: BalanceRow[]): Promise<void> {
    const [sql, params] = this.live.notifyAllStatement(balances.map(liveMessage));
    await tx.query(sql, params);
  }

  /**
   * The live update alone, as arguments for the statement that writes the balances, which
   * delivers it at commit at no round trip of its own. Metering's debits take this way: each
   * batch's requests already go out as `billing.usage.recorded`, and a balance event per batch
   * would put an audit entry in the team's audit log every few milliseconds, burying the actions of people.
   */
  liveNotices(balances: BalanceRow[]): LiveNotices {
    return this.live.notices(balances.map(liveMessage));
  }

  /**
   * Live balance changes of a team, for its members. Authorizes before anything is subscribed.
   * Every replica receives every change through NOTIFY; under heavy metering each subscriber gets
   * the newest balance at most every LIVE_BALANCE_INTERVAL_MS, so never staler than that.
   */
  watch(session: Session, teamId: string): AsyncIterableIterator<BalanceRow> {
    this.assertCanRead(session, teamId);
    return coalesce(this.live.subscribe<BalanceMessage>(balanceTopic(teamId)), LIVE_BALANCE_INTERVAL_MS, fromMessage);
  }

  /** The balance recomputed from the ledger, for the current invoice period. */
  recompute(teamId: string) {
    return this.balances.recompute(teamId, periodStartOf(this.now()));
  }
}
