import { queryPrepared, type Tx } from '../../kit/transaction';
import { LedgerEntryEntity } from '../ledger/ledger-entry.entity';
import { BALANCE_COLUMNS, toRow, type BalanceRow, type RawBalance } from '../balance/credit-balance.repository';
import { KEY_COLUMNS, toKey, type BillingApiKey, type RawKey } from '../api-key/billing-api-key.repository';
import type { PricedUsage } from './usage-rules';
import type { LiveNotices } from '../../kit/pubsub';

/** An accepted event and what it was charged. */
export interface BilledUsage {
  usage: PricedUsage;
  /** The key's team, which was billed. */
  teamId: string;
  prepaidTicks: bigint;
  invoicedTicks: bigint;
}

/** A PostgreSQL array literal of strings (each quoted, so any text is safe). */
const textArray = (values: readonly string[]) => `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;

/** One of the request ids being recorded was billed before, or by another transaction meanwhile. */
export class RequestAlreadyBilled extends Error {}

/** Metering's writes, each one statement however many events or teams a batch holds. */
export class UsageRepository {
  /** Which of these request ids were billed before. */
  async billedAmong(tx: Tx, requestIds: readonly string[]): Promise<Set<string>> {
    const rows: { request_id: string }[] = await tx.query(`SELECT request_id FROM billing.usage_events WHERE request_id = ANY($1::text[])`, [[...requestIds]]);
    return new Set(rows.map((r) => r.request_id));
  }

  /**
   * Locks the keys' rows, then their teams' balance rows, each in id order as every locker of
   * them does (so none deadlock), and reads them: one statement, where locking each kind on its
   * own would take two round trips while the batch before waits to commit.
   */
  async lockAccounts(tx: Tx, keyIds: readonly string[]): Promise<{ keys: BillingApiKey[]; balances: BalanceRow[] }> {
    if (keyIds.length === 0) return { keys: [], balances: [] };
    // The balances' CTE reads the keys' one, so every key is locked before any balance.
    const rows = await queryPrepared<RawKey & Omit<RawBalance, 'teamId'> & { hasBalance: boolean }>(
      tx,
      'billing.usage.lock-accounts',
      `WITH k AS MATERIALIZED (
         SELECT ${KEY_COLUMNS} FROM billing.api_keys WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
       ), b AS MATERIALIZED (
         SELECT ${BALANCE_COLUMNS} FROM billing.credit_balances WHERE team_id IN (SELECT "teamId" FROM k) ORDER BY team_id FOR UPDATE
       )
       SELECT k.*, b."teamId" IS NOT NULL AS "hasBalance", b."prepaidTicks", b."invoicedThisPeriodTicks", b."invoicedLimitTicks", b."periodStart", b."updatedAt"
       FROM k LEFT JOIN b ON b."teamId" = k."teamId"`,
      [[...keyIds]],
    );
    const balances = new Map<string, BalanceRow>();
    for (const r of rows) if (r.hasBalance) balances.set(r.teamId, toRow(r));
    return { keys: rows.map(toKey), balances: [...balances.values()] };
  }

  /**
   * Records billed usage. A request id that is already billed (committed, or in a transaction
   * that commits meanwhile) fails the statement, and so the transaction, with RequestAlreadyBilled.
   */
  async insert(tx: Tx, billed: readonly BilledUsage[], batchId: string, periodStart: string, at: Date): Promise<void> {
    // In request id order, so two transactions inserting some of the same ids wait on each other rather than deadlock.
    const sorted = [...billed].sort((a, b) => (a.usage.requestId < b.usage.requestId ? -1 : a.usage.requestId > b.usage.requestId ? 1 : 0));
    const columns = Array.from({ length: 12 }, () => new Array<string | number | bigint>(sorted.length));
    sorted.forEach((b, i) => {
      const u = b.usage;
      columns[0][i] = u.requestId;
      columns[1][i] = b.teamId;
      columns[2][i] = u.apiKeyId;
      columns[3][i] = u.model;
      columns[4][i] = u.promptTokens;
      columns[5][i] = u.cachedPromptTokens;
      columns[6][i] = u.completionTokens;
      columns[7][i] = u.predefinedPromptTokens;
      columns[8][i] = u.costTicks;
      columns[9][i] = b.prepaidTicks;
      columns[10][i] = b.invoicedTicks;
      columns[11][i] = u.occurredAt.getTime();
    });
    const [requestIds, teamIds, keyIds, models, ...numbers] = columns;
    try {
      await queryPrepared(
        tx,
        'billing.usage.insert',
        `INSERT INTO billing.usage_events (request_id, team_id, api_key_id, model, prompt_tokens, cached_prompt_tokens, completion_tokens,
           predefined_prompt_tokens, cost_ticks, prepaid_ticks, invoiced_ticks, occurred_at, period_start, batch_id, recorded_at)
         SELECT u.request_id, u.team_id, u.api_key_id, u.model, u.prompt, u.cached, u.completion, u.predefined, u.cost, u.prepaid, u.invoiced,
           timestamptz 'epoch' + u.occurred_ms * interval '1 millisecond', $13::date, $14::uuid, $15::timestamptz
         FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[], $8::int[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
           AS u(request_id, team_id, api_key_id, model, prompt, cached, completion, predefined, cost, prepaid, invoiced, occurred_ms)`,
        [
          textArray(requestIds as string[]),
          textArray(teamIds as string[]),
          textArray(keyIds as string[]),
          textArray(models as string[]),
          ...numbers.map((n) => `{${n.join(',')}}`),
          periodStart,
          batchId,
          at,
        ],
      );
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && e.constraint === 'usage_events_pkey') throw new RequestAlreadyBilled();
      throw err;
    }
  }

  /**
   * Appends the batch's ledger entries and writes the balance rows and the month-to-date spend of
   * key rows the transaction holds locked, in one statement, which also publishes the live update
   * of each balance row it wrote (`live`, one payload per balance, in order), delivered at commit. Each balance comes back with whether one of the team's credit alert
   * thresholds not yet fired is now reached, so the alert rows are only read (and locked) in the
   * rare batch that crosses one.
   */
  async writeBalances(
    tx: Tx,
    entries: readonly LedgerEntryEntity[],
    balances: readonly Pick<BalanceRow, 'teamId' | 'prepaidTicks' | 'invoicedThisPeriodTicks'>[],
    keySpend: { id: string; spentTicks: bigint }[],
    periodStart: string,
    at: Date,
    live: LiveNotices,
  ): Promise<(BalanceRow & { alertDue: boolean })[]> {
    if (balances.length === 0) return [];
    // A CTE that writes nothing runs only if read: the final count is what sends the notifications.
    const rows = await queryPrepared<Parameters<typeof toRow>[0] & { alertDue: boolean }>(
      tx,
      'billing.usage.write-balances',
      `WITH ledger AS (
         INSERT INTO billing.ledger_entries (id, team_id, kind, prepaid_delta_ticks, invoiced_delta_ticks, reference, period_start, created_at)
         SELECT e.*, $4::date, $5 FROM unnest($8::uuid[], $9::uuid[], $10::text[], $11::bigint[], $12::bigint[], $13::text[]) AS e
       ), spend AS (
         UPDATE billing.api_keys k SET spend_this_period_ticks = s.spent, spend_period = $4::date, updated_at = $5
         FROM unnest($6::uuid[], $7::bigint[]) AS s(id, spent) WHERE k.id = s.id
       ), written AS (
         UPDATE billing.credit_balances b SET prepaid_ticks = v.prepaid, invoiced_this_period_ticks = v.invoiced, period_start = $4::date, updated_at = $5
         FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS v(team_id, prepaid, invoiced)
         WHERE b.team_id = v.team_id
         RETURNING b.team_id AS "teamId", b.prepaid_ticks AS "prepaidTicks", b.invoiced_this_period_ticks AS "invoicedThisPeriodTicks",
           b.invoiced_limit_ticks AS "invoicedLimitTicks", b.period_start::text AS "periodStart", b.updated_at AS "updatedAt",
           EXISTS (SELECT 1 FROM billing.credit_alerts a, unnest(a.thresholds_percent) AS p(percent)
                   WHERE a.team_id = b.team_id AND a.top_up_ticks > 0 AND NOT p.percent = ANY (a.fired_percent)
                     AND b.prepaid_ticks <= a.top_up_ticks * p.percent / 100) AS "alertDue"
       ), live AS (
         SELECT pg_notify($14, l.payload) FROM unnest($1::uuid[], $15::text[]) WITH ORDINALITY AS l(team_id, payload, n)
         WHERE l.team_id IN (SELECT "teamId" FROM written) ORDER BY l.n
       )
       SELECT * FROM written WHERE (SELECT count(*) FROM live) >= 0`,
      [
        balances.map((b) => b.teamId),
        balances.map((b) => b.prepaidTicks.toString()),
        balances.map((b) => b.invoicedThisPeriodTicks.toString()),
        periodStart,
        at,
        keySpend.map((k) => k.id),
        keySpend.map((k) => k.spentTicks.toString()),
        entries.map((e) => e.id),
        entries.map((e) => e.teamId),
        entries.map((e) => e.kind),
        entries.map((e) => e.prepaidDeltaTicks),
        entries.map((e) => e.invoicedDeltaTicks),
        entries.map((e) => e.reference),
        live.channel,
        live.payloads,
      ],
    );
    return rows.map((r) => ({ ...toRow(r), alertDue: r.alertDue }));
  }
}
