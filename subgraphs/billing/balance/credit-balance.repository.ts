import { In } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { LedgerEntryEntity } from '../ledger/ledger-entry.entity';
import { CreditBalanceEntity } from './credit-balance.entity';

export interface BalanceRow {
  teamId: string;
  prepaidTicks: bigint;
  invoicedThisPeriodTicks: bigint;
  invoicedLimitTicks: bigint;
  updatedAt: Date;
}

const toRow = (e: CreditBalanceEntity): BalanceRow => ({
  teamId: e.teamId,
  prepaidTicks: BigInt(e.prepaidTicks),
  invoicedThisPeriodTicks: BigInt(e.invoicedThisPeriodTicks),
  invoicedLimitTicks: BigInt(e.invoicedLimitTicks),
  updatedAt: e.updatedAt,
});

export class CreditBalanceRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async findByTeams(teamIds: readonly string[]): Promise<BalanceRow[]> {
    const rows = await this.uow.reader.getRepository(CreditBalanceEntity).findBy({ teamId: In([...teamIds]) });
    return rows.map(toRow);
  }

  /** Appends a ledger entry and moves the balance by the same amounts, under the balance row's lock. */
  async post(tx: Tx, entry: LedgerEntryEntity): Promise<BalanceRow> {
    await tx.getRepository(LedgerEntryEntity).insert(entry);
    const rows: CreditBalanceEntity[] = await tx.query(
      `INSERT INTO billing.credit_balances AS b (team_id, prepaid_ticks, invoiced_this_period_ticks, invoiced_limit_ticks, updated_at)
       VALUES ($1, $2, $3, 0, $4)
       ON CONFLICT (team_id) DO UPDATE SET
         prepaid_ticks = b.prepaid_ticks + EXCLUDED.prepaid_ticks,
         invoiced_this_period_ticks = b.invoiced_this_period_ticks + EXCLUDED.invoiced_this_period_ticks,
         updated_at = EXCLUDED.updated_at
       RETURNING team_id AS "teamId", prepaid_ticks AS "prepaidTicks",
         invoiced_this_period_ticks AS "invoicedThisPeriodTicks", invoiced_limit_ticks AS "invoicedLimitTicks", updated_at AS "updatedAt"`,
      [entry.teamId, entry.prepaidDeltaTicks, entry.invoicedDeltaTicks, entry.createdAt],
    );
    return toRow(rows[0]);
  }

  /** The balance recomputed from the ledger alone, to check the running totals against. */
  async recompute(teamId: string): Promise<{ prepaidTicks: bigint; invoicedTicks: bigint }> {
    const [row]: { prepaid: string | null; invoiced: string | null }[] = await this.uow.reader.query(
      `SELECT sum(prepaid_delta_ticks)::text AS prepaid, sum(invoiced_delta_ticks)::text AS invoiced
       FROM billing.ledger_entries WHERE team_id = $1`,
      [teamId],
    );
    return { prepaidTicks: BigInt(row.prepaid ?? 0), invoicedTicks: BigInt(row.invoiced ?? 0) };
  }
}
