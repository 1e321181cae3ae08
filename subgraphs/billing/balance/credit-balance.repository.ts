import { queryPrepared, type Tx, type UnitOfWork } from '../../kit/transaction';
import { LedgerEntryEntity } from '../ledger/ledger-entry.entity';

export interface BalanceRow {
  teamId: string;
  prepaidTicks: bigint;
  /** Invoiced usage of `periodStart`'s period (zero once that period has passed). */
  invoicedThisPeriodTicks: bigint;
  invoicedLimitTicks: bigint;
  periodStart: string;
  updatedAt: Date;
}

export interface RawBalance {
  teamId: string;
  prepaidTicks: string;
  invoicedThisPeriodTicks: string;
  invoicedLimitTicks: string;
  periodStart: string;
  updatedAt: Date;
}

/** A balance row's columns, as `RawBalance` names them. */
export const BALANCE_COLUMNS = `team_id AS "teamId", prepaid_ticks AS "prepaidTicks", invoiced_this_period_ticks AS "invoicedThisPeriodTicks",
  invoiced_limit_ticks AS "invoicedLimitTicks", period_start::text AS "periodStart", updated_at AS "updatedAt"`;

export const toRow = (e: RawBalance): BalanceRow => ({
  teamId: e.teamId,
  prepaidTicks: BigInt(e.prepaidTicks),
  invoicedThisPeriodTicks: BigInt(e.invoicedThisPeriodTicks),
  invoicedLimitTicks: BigInt(e.invoicedLimitTicks),
  periodStart: e.periodStart,
  updatedAt: e.updatedAt,
});

export class CreditBalanceRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async findByTeams(teamIds: readonly string[]): Promise<BalanceRow[]> {
    const rows: RawBalance[] = await this.uow.reader.query(`SELECT ${BALANCE_COLUMNS} FROM billing.credit_balances WHERE team_id = ANY($1::uuid[])`, [[...teamIds]]);
    return rows.map(toRow);
  }

  /** Locks the teams' balance rows (in team order, so lockers never deadlock) until the transaction ends. */
  async lock(tx: Tx, teamIds: readonly string[]): Promise<BalanceRow[]> {
    const rows = await queryPrepared<RawBalance>(
      tx,
      'billing.credit-balances.lock',
      `SELECT ${BALANCE_COLUMNS} FROM billing.credit_balances WHERE team_id = ANY($1::uuid[]) ORDER BY team_id FOR UPDATE`,
      [[...teamIds]],
    );
    return rows.map(toRow);
  }

  /**
   * Appends a ledger entry and moves the balance by the same amounts, under the balance row's
   * lock. An entry in a new invoice period starts that period's invoiced usage from zero.
   */
  async post(tx: Tx, entry: LedgerEntryEntity): Promise<BalanceRow> {
    await tx.getRepository(LedgerEntryEntity).insert(entry);
    const rows: RawBalance[] = await tx.query(
      `INSERT INTO billing.credit_balances AS b (team_id, prepaid_ticks, invoiced_this_period_ticks, invoiced_limit_ticks, period_start, updated_at)
       VALUES ($1, $2, $3, 0, $4, $5)
       ON CONFLICT (team_id) DO UPDATE SET
         prepaid_ticks = b.prepaid_ticks + EXCLUDED.prepaid_ticks,
         invoiced_this_period_ticks = CASE WHEN b.period_start = EXCLUDED.period_start THEN b.invoiced_this_period_ticks ELSE 0 END
           + EXCLUDED.invoiced_this_period_ticks,
         period_start = GREATEST(b.period_start, EXCLUDED.period_start),
         updated_at = EXCLUDED.updated_at
       RETURNING ${BALANCE_COLUMNS}`,
      [entry.teamId, entry.prepaidDeltaTicks, entry.invoicedDeltaTicks, entry.periodStart, entry.createdAt],
    );
    return toRow(rows[0]);
  }

  /** Sets the invoiced spending limit (no money moves, so no ledger entry). */
  async setLimit(tx: Tx, teamId: string, limitTicks: bigint, periodStart: string, at: Date): Promise<BalanceRow> {
    const rows: RawBalance[] = await tx.query(
      `INSERT INTO billing.credit_balances AS b (team_id, prepaid_ticks, invoiced_this_period_ticks, invoiced_limit_ticks, period_start, updated_at)
       VALUES ($1, 0, 0, $2, $3, $4)
       ON CONFLICT (team_id) DO UPDATE SET invoiced_limit_ticks = EXCLUDED.invoiced_limit_ticks, updated_at = EXCLUDED.updated_at
       RETURNING ${BALANCE_COLUMNS}`,
      [teamId, limitTicks.toString(), periodStart, at],
    );
    return toRow(rows[0]);
  }

  /** The balance recomputed from the ledger alone, to check the running totals against. */
  async recompute(teamId: string, periodStart: string): Promise<{ prepaidTicks: bigint; invoicedTicks: bigint }> {
    const [row]: { prepaid: string | null; invoiced: string | null }[] = await this.uow.reader.query(
      `SELECT sum(prepaid_delta_ticks)::text AS prepaid,
              (sum(invoiced_delta_ticks) FILTER (WHERE period_start = $2::date))::text AS invoiced
       FROM billing.ledger_entries WHERE team_id = $1`,
      [teamId, periodStart],
    );
    return { prepaidTicks: BigInt(row.prepaid ?? 0), invoicedTicks: BigInt(row.invoiced ?? 0) };
  }
}
