import { createHash, randomUUID } from 'node:crypto';
import { EventType, type Outbox, type UsageRecordedPayload, type UsageRequestColumns, type UsageRequestLog } from '../../kit/events';
import type { ModelPrice } from '../../kit/config';
import { badInput, ErrorCode, forbidden, unauthenticated } from '../../kit/errors';
import type { Session } from '../../kit/session';
import type { UnitOfWork } from '../../kit/transaction';
import type { CreditBalanceRepository } from '../balance/credit-balance.repository';
import { currentOf, type CreditBalanceService } from '../balance/credit-balance.service';
import { emptyBalance } from '../balance/credit-balance.view';
import { LedgerEntryEntity } from '../ledger/ledger-entry.entity';
import { periodStartOf } from '../ledger/period';
import { isUuid } from '../../kit/loaders';
import type { CreditAlertService } from '../alert/credit-alert.service';
import type { BillingApiKey, BillingApiKeyRepository } from '../api-key/billing-api-key.repository';
import { GroupCommit } from './group-commit';
import { RequestAlreadyBilled, type BilledUsage, type UsageRepository } from './usage.repository';
import { meter, price, type Account, type KeyAccount, type PricedUsage, type UsageEvent, type Verdict } from './usage-rules';

export const MAX_EVENTS_PER_CALL = 1000;

export interface RecordUsageResult {
  accepted: number;
  duplicates: number;
  rejected: { requestId: string; code: string; message: string; retryable: boolean }[];
}

/** How debits reach the balance row: batched (group commit) or one transaction per event (the naive design, for comparison). */
export type MeteringMode = 'batched' | 'per-event';

/** A key's month-to-date spend as of `period`: a month that has ended no longer counts. */
const keyAccountOf = (k: BillingApiKey, period: string): KeyAccount => ({
  teamId: k.teamId,
  disabledAt: k.disabledAt,
  revokedAt: k.revokedAt,
  capTicks: k.monthlySpendCapTicks,
  spentTicks: k.spendPeriod < period ? 0n : k.spendThisPeriodTicks,
});

/**
 * How many batches after one that met an already billed request id look their ids up before
 * inserting. Otherwise a batch inserts straight away: request ids are rarely sent twice, and
 * the primary key refuses one that was.
 */
const BATCHES_CHECKING_BILLED = 50;

/** Rejections that may succeed when sent again later: the key's creation may not have reached Billing yet. */
const RETRYABLE_REJECTIONS: ReadonlySet<string> = new Set([ErrorCode.UnknownApiKey]);

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

/**
 * Usage metering at request time. Every event is priced from the price table and charged to its
 * API key's team (as Billing's copy of Team's keys says) inside one transaction that holds the
 * key's row and the team's balance row: within the key's monthly spend cap, prepaid credits
 * first, then invoiced usage up to the limit, or rejected whole. A request id is billed at most
 * once ever (its usage row is the proof). Debits are group-committed: all events waiting when a
 * batch starts share one lock per key and team, one ledger entry per team and kind, and one
 * statement writing the balances and the keys' spend.
 */
export class MeteringService {
  private readonly batches: GroupCommit<PricedUsage, Verdict>;
  private batchesCheckingBilled = 0;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly usage: UsageRepository,
    private readonly balanceRows: CreditBalanceRepository,
    private readonly balances: CreditBalanceService,
    private readonly keys: BillingApiKeyRepository,
    private readonly alerts: CreditAlertService,
    private readonly prices: Record<string, ModelPrice>,
    private readonly mode: MeteringMode = 'batched',
    private readonly now: () => Date = () => new Date(),
    /** Where each batch's `billing.usage.recorded` events (the API request log) are written. */
    private readonly outbox?: Outbox,
  ) {
    this.batches = new GroupCommit((events) => this.commit(events), 5000);
  }

  assertReporter(session: Session): void {
    const p = session.principal;
    if (p.kind === 'anonymous') throw unauthenticated();
    if (!(p.kind === 'service' && p.service === 'usage-reporter')) throw forbidden('Only usage reporters record usage');
  }

  async record(session: Session, events: readonly UsageEvent[]): Promise<RecordUsageResult> {
    this.assertReporter(session);
    if (events.length > MAX_EVENTS_PER_CALL) throw badInput(`At most ${MAX_EVENTS_PER_CALL} events per call`, { field: 'events' });
    const at = this.now();
    const verdicts: Verdict[] = new Array(events.length);
    const priced: PricedUsage[] = [];
    const slots: number[] = [];
    events.forEach((e, i) => {
      const p = price(e, this.prices, at);
      if ('outcome' in p) verdicts[i] = p;
      else {
        priced.push(p);
        slots.push(i);
      }
    });
    const charged = this.mode === 'batched' ? await this.batches.submit(priced) : await Promise.all(priced.map((p) => this.commit([p]).then((v) => v[0])));
    charged.forEach((v, j) => (verdicts[slots[j]] = v));
    const result: RecordUsageResult = { accepted: 0, duplicates: 0, rejected: [] };
    verdicts.forEach((v, i) => {
      if (v.outcome === 'accepted') result.accepted++;
      else if (v.outcome === 'duplicate') result.duplicates++;
      else result.rejected.push({ requestId: events[i].requestId, code: v.code, message: v.message, retryable: RETRYABLE_REJECTIONS.has(v.code) });
    });
    return result;
  }

  /** One transaction for a batch of events, retried when it lost a race with another replica or met a request id billed before. */
  private async commit(events: PricedUsage[]): Promise<Verdict[]> {
    for (let attempt = 1; ; attempt++) {
      const checkBilled = this.batchesCheckingBilled > 0;
      if (checkBilled) this.batchesCheckingBilled--;
      try {
        return await this.uow.run((tx) => this.commitIn(tx, events, checkBilled));
      } catch (err) {
        const alreadyBilled = err instanceof RequestAlreadyBilled;
        if (alreadyBilled) this.batchesCheckingBilled = BATCHES_CHECKING_BILLED;
        const retryable = alreadyBilled || RETRYABLE.has((err as { code?: string }).code ?? '');
        if (!retryable || attempt >= 5) throw err;
      }
    }
  }

  private async commitIn(tx: Parameters<Parameters<UnitOfWork['run']>[0]>[0], events: PricedUsage[], checkBilled: boolean): Promise<Verdict[]> {
    const at = this.now();
    const period = periodStartOf(at);
    // Keys first, then balances, each in id order: every locker takes them in this order, so none deadlock.
    const keyRows = await this.keys.lock(tx, [...new Set(events.map((e) => e.apiKeyId).filter(isUuid))].sort());
    const keys = new Map(keyRows.map((k) => [k.id, keyAccountOf(k, period)]));
    const teamIds = [...new Set(keyRows.map((k) => k.teamId))].sort();
    const locked = new Map((await this.balanceRows.lock(tx, teamIds)).map((r) => [r.teamId, currentOf(r, at)]));
    const accounts = new Map<string, Account>();
    for (const teamId of teamIds) {
      const row = locked.get(teamId) ?? emptyBalance(teamId, at);
      accounts.set(teamId, { prepaidTicks: row.prepaidTicks, invoicedTicks: row.invoicedThisPeriodTicks, limitTicks: row.invoicedLimitTicks });
    }
    const billed = checkBilled ? await this.usage.billedAmong(tx, events.map((e) => e.requestId)) : new Set<string>();
    const verdicts = meter(accounts, keys, events, billed);

    const accepted: BilledUsage[] = [];
    const spent = new Map<string, { prepaid: bigint; invoiced: bigint }>();
    verdicts.forEach((v, i) => {
      if (v.outcome !== 'accepted') return;
      accepted.push({ ...events[i], teamId: v.teamId, prepaidTicks: v.prepaidTicks, invoicedTicks: v.invoicedTicks });
      let s = spent.get(v.teamId);
      if (!s) spent.set(v.teamId, (s = { prepaid: 0n, invoiced: 0n }));
      s.prepaid += v.prepaidTicks;
      s.invoiced += v.invoicedTicks;
    });
    if (accepted.length === 0) return verdicts;

    const batchId = randomUUID();
    await this.usage.insert(tx, accepted, batchId, period, at);

    const entries: LedgerEntryEntity[] = [];
    const entry = (teamId: string, kind: 'USAGE_PREPAID' | 'USAGE_INVOICED', prepaid: bigint, invoiced: bigint) =>
      Object.assign(new LedgerEntryEntity(), {
        id: randomUUID(),
        teamId,
        kind,
        prepaidDeltaTicks: prepaid.toString(),
        invoicedDeltaTicks: invoiced.toString(),
        reference: `usage-batch:${batchId}`,
        periodStart: period,
        createdAt: at,
      });
    for (const [teamId, s] of spent) {
      if (s.prepaid > 0n) entries.push(entry(teamId, 'USAGE_PREPAID', -s.prepaid, 0n));
      if (s.invoiced > 0n) entries.push(entry(teamId, 'USAGE_INVOICED', 0n, s.invoiced));
    }
    await this.usage.appendLedger(tx, entries);
    const changed = [...spent.keys()].sort();
    const spentKeys = [...new Set(accepted.map((u) => u.apiKeyId))].sort();
    const rows = await this.usage.writeBalances(
      tx,
      changed.map((teamId) => ({ teamId, prepaidTicks: accounts.get(teamId)!.prepaidTicks, invoicedTicks: accounts.get(teamId)!.invoicedTicks })),
      spentKeys.map((id) => ({ id, spentTicks: keys.get(id)!.spentTicks })),
      period,
      at,
    );
    await this.balances.announce(tx, rows.map(({ alertDue: _, ...balance }) => ({ balance, kind: 'USAGE', entryId: null })), null);
    const debited = rows.filter((r) => r.alertDue && spent.get(r.teamId)!.prepaid > 0n).map((r) => ({ teamId: r.teamId, prepaidTicks: r.prepaidTicks }));
    await this.alerts.debitedIn(tx, debited);
    await this.logRequests(tx, accepted, batchId);
    return verdicts;
  }

  /** One event per team with the requests this batch billed, committed with the bill. */
  private async logRequests(tx: Parameters<Parameters<UnitOfWork['run']>[0]>[0], billed: BilledUsage[], batchId: string): Promise<void> {
    if (!this.outbox) return;
    const byTeam = new Map<string, RequestLogColumns>();
    for (const e of billed) {
      let columns = byTeam.get(e.teamId);
      if (!columns) byTeam.set(e.teamId, (columns = new RequestLogColumns()));
      columns.add(e);
    }
    await this.outbox.enqueue(
      tx,
      ...[...byTeam].map(([teamId, columns]) => ({
        type: EventType.UsageRecorded,
        aggregateId: teamId,
        teamId,
        actor: null,
        payload: { batchId, columns: columns.done() } satisfies UsageRecordedPayload,
      })),
    );
  }
}

type LogField = 'requestBytes' | 'responseBytes' | 'bodyDigest' | 'requestBody' | 'responseBody';
const LOG_FIELDS: readonly LogField[] = ['requestBytes', 'responseBytes', 'bodyDigest', 'requestBody', 'responseBody'];

/** Builds a batch's request log column by column; the optional fields become columns only if some request has them. */
class RequestLogColumns {
  private readonly columns: UsageRequestColumns = { requestId: [], apiKeyId: [], model: [], promptTokens: [], cachedPromptTokens: [], completionTokens: [], occurredAtMs: [] };
  private readonly optional: Partial<Record<LogField, (string | number | null)[]>> = {};
  private count = 0;

  add(e: UsageEvent): void {
    const c = this.columns;
    c.requestId.push(e.requestId);
    c.apiKeyId.push(e.apiKeyId);
    c.model.push(e.model);
    c.promptTokens.push(e.promptTokens);
    c.cachedPromptTokens.push(e.cachedPromptTokens);
    c.completionTokens.push(e.completionTokens);
    c.occurredAtMs.push(e.occurredAt.getTime());
    if (e.log) {
      const log = logOf(e.log);
      for (const field of LOG_FIELDS) {
        const value = log[field];
        if (value == null) continue;
        const column = (this.optional[field] ??= new Array<null>(this.count).fill(null));
        column[this.count] = value;
      }
    }
    this.count++;
  }

  done(): UsageRequestColumns {
    for (const column of Object.values(this.optional)) while (column.length < this.count) column.push(null);
    return { ...this.columns, ...(this.optional as Pick<UsageRequestColumns, LogField>) };
  }
}

/** What the API request log keeps of a request: its sizes and a digest of its bodies, computed from the bodies when they were sent. */
function logOf(log: NonNullable<UsageEvent['log']>): Pick<UsageRequestLog, LogField> {
  const bodies = log.requestBody != null || log.responseBody != null;
  const digest = bodies
    ? createHash('sha256')
        .update(log.requestBody ?? '')
        .update('\0')
        .update(log.responseBody ?? '')
        .digest('hex')
    : (log.bodyDigest ?? null);
  return {
    requestBytes: log.requestBytes ?? (log.requestBody != null ? Buffer.byteLength(log.requestBody) : null),
    responseBytes: log.responseBytes ?? (log.responseBody != null ? Buffer.byteLength(log.responseBody) : null),
    bodyDigest: digest,
    requestBody: log.requestBody ?? null,
    responseBody: log.responseBody ?? null,
  };
}
