import { createHash, randomUUID } from 'node:crypto';
import { EventType, type Outbox, type UsageRecordedPayload, type UsageRequestColumns, type UsageRequestLog } from '../../kit/events';
import type { ModelPrice } from '../../kit/config';
import { badInput, ErrorCode, forbidden, unauthenticated } from '../../kit/errors';
import type { Session } from '../../kit/session';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import type { BalanceRow } from '../balance/credit-balance.repository';
import { currentOf, type CreditBalanceService } from '../balance/credit-balance.service';
import { emptyBalance } from '../balance/credit-balance.view';
import { LedgerEntryEntity } from '../ledger/ledger-entry.entity';
import { periodStartOf } from '../ledger/period';
import { isUuid } from '../../kit/loaders';
import type { CreditAlertService } from '../alert/credit-alert.service';
import { spendIn, type BillingApiKey } from '../api-key/billing-api-key.repository';
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

/** What metering knows of a key as of `period`. */
const keyAccountOf = (k: BillingApiKey, period: string): KeyAccount => ({
  teamId: k.teamId,
  disabledAt: k.disabledAt,
  revokedAt: k.revokedAt,
  capTicks: k.monthlySpendCapTicks,
  spentTicks: spendIn(k, period),
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

/** Batches in flight at once: one plans and writes its usage while the one before it holds the locks. */
const PIPELINE_DEPTH = 2;

/** After a stale plan (another replica or a purchase moved the accounts), this many batches are billed under the locks before planning again. */
const BATCHES_UNPLANNED_AFTER_STALE_PLAN = 20;

/** The accounts a batch bills from, as of an invoice period. */
interface Accounts {
  period: string;
  keys: Map<string, KeyAccount>;
  teams: Map<string, Account>;
}

/** A batch's billed usage, and what it takes from each team. */
interface Bill {
  accepted: BilledUsage[];
  spent: Map<string, { prepaid: bigint; invoiced: bigint }>;
}

/** A batch billed from known accounts before taking any lock: what it started from, its verdicts, and the accounts it leaves. */
interface Plan extends Bill {
  start: Accounts;
  keys: Map<string, KeyAccount>;
  teams: Map<string, Account>;
  verdicts: Verdict[];
}

interface InFlightBatch {
  /** Request ids the batch bills: a later batch planned meanwhile counts them as billed. */
  accepted: Set<string>;
  /** Whether `accepted` is decided (at once when planned, under the locks otherwise). */
  verdictsKnown: boolean;
  /** Whether it committed, at its first try, the verdicts (and so the accounts) later batches planned from. */
  committedAsPlanned: Promise<boolean>;
  settle(asPlanned: boolean): void;
}

/**
 * How long a planned batch waits for the batches before it to commit, holding the rows it wrote.
 * The wait is invisible to PostgreSQL's deadlock detector, so this stands in for it: a batch of
 * another replica, billed under the locks, can wait on those rows (the same request id sent to both).
 */
const PLANNED_WAIT_MS = 1000;

/** Whether every batch before committed as planned: false as soon as one did not, or after PLANNED_WAIT_MS. */
function allCommittedAsPlanned(before: InFlightBatch[]): Promise<boolean> {
  if (before.length === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    let pending = before.length;
    const timer = setTimeout(() => resolve(false), PLANNED_WAIT_MS);
    const settle = (ok: boolean) => {
      if (ok && --pending > 0) return;
      clearTimeout(timer);
      resolve(ok);
    };
    for (const b of before) void b.committedAsPlanned.then(settle);
  });
}

/** The accounts were moved by something else than the batches planned before this one. */
class StalePlan extends Error {}

function billOf(events: readonly PricedUsage[], verdicts: readonly Verdict[]): Bill {
  const accepted: BilledUsage[] = [];
  const spent = new Map<string, { prepaid: bigint; invoiced: bigint }>();
  verdicts.forEach((v, i) => {
    if (v.outcome !== 'accepted') return;
    accepted.push({ usage: events[i], teamId: v.teamId, prepaidTicks: v.prepaidTicks, invoicedTicks: v.invoicedTicks });
    let s = spent.get(v.teamId);
    if (!s) spent.set(v.teamId, (s = { prepaid: 0n, invoiced: 0n }));
    s.prepaid += v.prepaidTicks;
    s.invoiced += v.invoicedTicks;
  });
  return { accepted, spent };
}

const sameTime = (a: Date | null, b: Date | null) => (a === null || b === null ? a === b : a.getTime() === b.getTime());

/** Whether the locked accounts are those a plan started from (every key and team it read, field by field). */
function sameAccounts(planned: Accounts, locked: Accounts): boolean {
  for (const [id, p] of planned.keys) {
    const l = locked.keys.get(id);
    if (!l || l.teamId !== p.teamId || l.capTicks !== p.capTicks || l.spentTicks !== p.spentTicks || !sameTime(l.disabledAt, p.disabledAt) || !sameTime(l.revokedAt, p.revokedAt)) return false;
  }
  for (const [id, p] of planned.teams) {
    const l = locked.teams.get(id);
    if (!l || l.prepaidTicks !== p.prepaidTicks || l.invoicedTicks !== p.invoicedTicks || l.limitTicks !== p.limitTicks) return false;
  }
  return true;
}

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
  private batchesUnplanned = 0;
  /** Accounts as the latest batch left them (or will, once it commits). */
  private known: Accounts | null = null;
  private readonly inFlight = new Set<InFlightBatch>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly usage: UsageRepository,
    private readonly balances: CreditBalanceService,
    private readonly alerts: CreditAlertService,
    private readonly prices: Record<string, ModelPrice>,
    private readonly mode: MeteringMode = 'batched',
    private readonly now: () => Date = () => new Date(),
    /** Where each batch's `billing.usage.recorded` events (the API request log) are written. */
    private readonly outbox?: Outbox,
  ) {
    this.batches = new GroupCommit((events) => this.commit(events), 5000, PIPELINE_DEPTH);
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

  /**
   * Bills one batch. When the accounts it touches are known from the batches before it, it is
   * planned at once, before any lock (see `plan`), and written while the batch before it
   * commits; otherwise, or when the plan turns out stale, it is billed under the locks.
   */
  private commit(events: PricedUsage[]): Promise<Verdict[]> {
    const at = this.now();
    const before = this.mode === 'batched' ? [...this.inFlight] : [];
    let settle!: (asPlanned: boolean) => void;
    const committedAsPlanned = new Promise<boolean>((resolve) => (settle = resolve));
    const batch: InFlightBatch = { accepted: new Set(), verdictsKnown: false, committedAsPlanned, settle };
    this.inFlight.add(batch);
    const plan = this.plan(events, at, before);
    if (plan) {
      for (const b of plan.accepted) batch.accepted.add(b.usage.requestId);
      batch.verdictsKnown = true;
    } else this.forget(events);
    const billing = plan ? this.commitPlanned(events, at, plan, before, batch) : this.commitLocked(events, batch);
    return billing.finally(() => {
      batch.settle(false);
      this.inFlight.delete(batch);
    });
  }

  /**
   * Bills a batch from the accounts the batches before it left (in memory), with no lock held:
   * its usage rows and request log are written while the batch before it still holds the locks.
   * Then, once every batch before it has committed as it planned, it takes the locks and checks
   * that the accounts are exactly those it planned from; only then are the debits written. If
   * anything else moved them meanwhile (another replica, a purchase), the plan is dropped and
   * the batch billed again under the locks.
   */
  private plan(events: PricedUsage[], at: Date, before: InFlightBatch[]): Plan | undefined {
    if (this.mode !== 'batched' || this.batchesCheckingBilled > 0 || this.batchesUnplanned > 0) {
      if (this.batchesUnplanned > 0) this.batchesUnplanned--;
      return undefined;
    }
    const known = this.known;
    const period = periodStartOf(at);
    if (!known || known.period !== period) return undefined;
    // A batch before it whose bill is not yet decided might insert a request id this one inserts, and wait on it.
    if (!before.every((b) => b.verdictsKnown)) return undefined;
    const start: Accounts = { period, keys: new Map(), teams: new Map() };
    for (const id of new Set(events.map((e) => e.apiKeyId))) {
      if (!isUuid(id)) continue; // never a key: rejected as unknown either way
      const key = known.keys.get(id);
      const team = key && known.teams.get(key.teamId);
      if (!key || !team) return undefined;
      start.keys.set(id, key);
      start.teams.set(key.teamId, team);
    }
    const keys = new Map([...start.keys].map(([id, k]) => [id, { ...k }]));
    const teams = new Map([...start.teams].map(([id, a]) => [id, { ...a }]));
    const billed = new Set<string>();
    for (const b of before) for (const id of b.accepted) billed.add(id);
    const verdicts = meter(teams, keys, events, billed);
    for (const [id, k] of keys) known.keys.set(id, k);
    for (const [id, a] of teams) known.teams.set(id, a);
    return { start, keys, teams, verdicts, ...billOf(events, verdicts) };
  }

  private async commitPlanned(events: PricedUsage[], at: Date, plan: Plan, before: InFlightBatch[], batch: InFlightBatch): Promise<Verdict[]> {
    const period = plan.start.period;
    try {
      const verdicts = await this.uow.run(async (tx) => {
        const batchId = randomUUID();
        if (plan.accepted.length) await this.writeUsage(tx, plan.accepted, batchId, period, at);
        if (!(await allCommittedAsPlanned(before))) throw new StalePlan();
        if (!sameAccounts(plan.start, await this.lockAccounts(tx, events, at, period))) throw new StalePlan();
        if (plan.accepted.length) await this.debit(tx, plan, batchId, period, at);
        return plan.verdicts;
      });
      batch.settle(true);
      return verdicts;
    } catch (err) {
      if (!this.failed(batch, err)) throw err;
      return this.commitLocked(events, batch);
    }
  }

  /** Bills a batch under the locks, in one transaction, retried when it lost a race with another replica or met a request id billed before. */
  private async commitLocked(events: PricedUsage[], batch: InFlightBatch): Promise<Verdict[]> {
    for (let attempt = 1; ; attempt++) {
      const checkBilled = this.batchesCheckingBilled > 0;
      if (checkBilled) this.batchesCheckingBilled--;
      try {
        const verdicts = await this.uow.run((tx) => this.commitLockedIn(tx, events, checkBilled, batch));
        batch.settle(true); // no-op unless this was its first try
        return verdicts;
      } catch (err) {
        if (!this.failed(batch, err) || attempt >= 5) throw err;
      }
    }
  }

  /**
   * After a failed try: tells later batches at once (one planned from this batch must let go of
   * the rows it wrote, which a retry may wait on), forgets the accounts, and says whether another
   * try may succeed. A stale plan pauses planning; a request id billed before turns on the lookup.
   */
  private failed(batch: InFlightBatch, err: unknown): boolean {
    batch.settle(false);
    this.known = null;
    if (err instanceof StalePlan) this.batchesUnplanned = BATCHES_UNPLANNED_AFTER_STALE_PLAN;
    else if (err instanceof RequestAlreadyBilled) this.batchesCheckingBilled = BATCHES_CHECKING_BILLED;
    else return RETRYABLE.has((err as { code?: string }).code ?? '');
    return true;
  }

  private async commitLockedIn(tx: Tx, events: PricedUsage[], checkBilled: boolean, batch: InFlightBatch): Promise<Verdict[]> {
    const at = this.now();
    const period = periodStartOf(at);
    const { keys, teams } = await this.lockAccounts(tx, events, at, period);
    const billed = checkBilled ? await this.usage.billedAmong(tx, events.map((e) => e.requestId)) : new Set<string>();
    const verdicts = meter(teams, keys, events, billed);
    this.learn({ period, keys, teams });
    const bill = billOf(events, verdicts);
    batch.accepted.clear();
    for (const b of bill.accepted) batch.accepted.add(b.usage.requestId);
    batch.verdictsKnown = true;
    if (bill.accepted.length === 0) return verdicts;
    const batchId = randomUUID();
    await this.writeUsage(tx, bill.accepted, batchId, period, at);
    await this.debit(tx, { keys, teams, ...bill }, batchId, period, at);
    return verdicts;
  }

  /** Locks the events' keys, then their teams' balances, and reads them as accounts. */
  private async lockAccounts(tx: Tx, events: PricedUsage[], at: Date, period: string): Promise<Accounts> {
    const { keys: keyRows, balances } = await this.usage.lockAccounts(tx, [...new Set(events.map((e) => e.apiKeyId).filter(isUuid))].sort());
    const keys = new Map(keyRows.map((k) => [k.id, keyAccountOf(k, period)]));
    const teamIds = [...new Set(keyRows.map((k) => k.teamId))].sort();
    const locked = new Map(balances.map((r) => [r.teamId, currentOf(r, at)]));
    const teams = new Map<string, Account>();
    for (const teamId of teamIds) {
      const row = locked.get(teamId) ?? emptyBalance(teamId, at);
      teams.set(teamId, { prepaidTicks: row.prepaidTicks, invoicedTicks: row.invoicedThisPeriodTicks, limitTicks: row.invoicedLimitTicks });
    }
    return { period, keys, teams };
  }

  /** A batch billed under the locks changes its keys and teams in ways not known until it holds them. */
  private forget(events: readonly PricedUsage[]): void {
    const known = this.known;
    if (!known) return;
    for (const e of events) {
      const key = known.keys.get(e.apiKeyId);
      if (key) known.teams.delete(key.teamId);
      known.keys.delete(e.apiKeyId);
    }
  }

  /** Remembers accounts as a batch leaves them, for the next batch to plan from. */
  private learn(after: Accounts): void {
    if (!this.known || this.known.period !== after.period) this.known = { period: after.period, keys: new Map(), teams: new Map() };
    for (const [id, k] of after.keys) this.known.keys.set(id, { ...k });
    for (const [id, a] of after.teams) this.known.teams.set(id, { ...a });
  }

  /** The batch's billed usage and its API request log. */
  private async writeUsage(tx: Tx, accepted: BilledUsage[], batchId: string, period: string, at: Date): Promise<void> {
    await this.usage.insert(tx, accepted, batchId, period, at);
    await this.logRequests(tx, accepted, batchId);
  }

  /** The ledger entries, the new balances and keys' spend, the live balance, and any credit alert crossed: under the locks. */
  private async debit(tx: Tx, bill: Pick<Plan, 'keys' | 'teams' | 'accepted' | 'spent'>, batchId: string, period: string, at: Date): Promise<void> {
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
    for (const [teamId, s] of bill.spent) {
      if (s.prepaid > 0n) entries.push(entry(teamId, 'USAGE_PREPAID', -s.prepaid, 0n));
      if (s.invoiced > 0n) entries.push(entry(teamId, 'USAGE_INVOICED', 0n, s.invoiced));
    }
    const changed = [...bill.spent.keys()].sort();
    const spentKeys = [...new Set(bill.accepted.map((b) => b.usage.apiKeyId))].sort();
    // The balances as the statement leaves them: the accounts are those held locked, so the live update can go with the write.
    const after = changed.map((teamId): BalanceRow => {
      const account = bill.teams.get(teamId)!;
      return { teamId, prepaidTicks: account.prepaidTicks, invoicedThisPeriodTicks: account.invoicedTicks, invoicedLimitTicks: account.limitTicks, periodStart: period, updatedAt: at };
    });
    const rows = await this.usage.writeBalances(
      tx,
      entries,
      after,
      spentKeys.map((id) => ({ id, spentTicks: bill.keys.get(id)!.spentTicks })),
      period,
      at,
      this.balances.liveNotices(after),
    );
    const debited = rows.filter((r) => r.alertDue && bill.spent.get(r.teamId)!.prepaid > 0n).map((r) => ({ teamId: r.teamId, prepaidTicks: r.prepaidTicks }));
    await this.alerts.debitedIn(tx, debited);
  }

  /** One event per team with the requests this batch billed, committed with the bill. */
  private async logRequests(tx: Tx, billed: BilledUsage[], batchId: string): Promise<void> {
    if (!this.outbox) return;
    const byTeam = new Map<string, RequestLogColumns>();
    for (const b of billed) {
      let columns = byTeam.get(b.teamId);
      if (!columns) byTeam.set(b.teamId, (columns = new RequestLogColumns()));
      columns.add(b.usage);
    }
    await this.outbox.enqueue(
      tx,
      ...[...byTeam].map(([teamId, columns]) => ({
        type: EventType.UsageRecorded,
        // The batch, not the team: writing it takes no lock that the team's other events take.
        aggregateId: batchId,
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
