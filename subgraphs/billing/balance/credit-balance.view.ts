import type { BalanceRow } from './credit-balance.repository';
import type { CreditBalanceType, MoneyType } from './credit-balance.types';
import { periodStartOf } from '../ledger/period';
import { ticksToUsd } from './money';

export const money = (ticks: bigint): MoneyType => ({ ticks, usd: ticksToUsd(ticks) });

/** A team with no ledger entries yet has a zero balance. */
export function emptyBalance(teamId: string, at: Date): BalanceRow {
  return { teamId, prepaidTicks: 0n, invoicedThisPeriodTicks: 0n, invoicedLimitTicks: 0n, periodStart: periodStartOf(at), updatedAt: at };
}

export function toCreditBalance(row: BalanceRow): CreditBalanceType {
  const headroom = row.invoicedLimitTicks - row.invoicedThisPeriodTicks;
  return {
    teamId: row.teamId,
    prepaid: money(row.prepaidTicks),
    invoicedThisPeriod: money(row.invoicedThisPeriodTicks),
    invoicedLimit: money(row.invoicedLimitTicks),
    available: money(row.prepaidTicks + (headroom > 0n ? headroom : 0n)),
    updatedAt: row.updatedAt,
  };
}

/** JSON-safe form for live notifications (bigint does not survive JSON). */
export interface BalanceMessage {
  teamId: string;
  prepaidTicks: string;
  invoicedThisPeriodTicks: string;
  invoicedLimitTicks: string;
  periodStart: string;
  updatedAt: string;
}

export const toMessage = (row: BalanceRow): BalanceMessage => ({
  teamId: row.teamId,
  prepaidTicks: row.prepaidTicks.toString(),
  invoicedThisPeriodTicks: row.invoicedThisPeriodTicks.toString(),
  invoicedLimitTicks: row.invoicedLimitTicks.toString(),
  periodStart: row.periodStart,
  updatedAt: row.updatedAt.toISOString(),
});

export const fromMessage = (m: BalanceMessage): BalanceRow => ({
  teamId: m.teamId,
  prepaidTicks: BigInt(m.prepaidTicks),
  invoicedThisPeriodTicks: BigInt(m.invoicedThisPeriodTicks),
  invoicedLimitTicks: BigInt(m.invoicedLimitTicks),
  periodStart: m.periodStart,
  updatedAt: new Date(m.updatedAt),
});
