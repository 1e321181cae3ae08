import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The running totals of a team's ledger; always equal to what the ledger entries add up to. */
@Entity({ name: 'credit_balances' })
export class CreditBalanceEntity {
  @PrimaryColumn({ name: 'team_id', type: 'uuid' })
  teamId: string;

  // pg returns bigint columns as strings; the repository converts them to bigint.
  @Column({ name: 'prepaid_ticks', type: 'bigint' })
  prepaidTicks: string;

  @Column({ name: 'invoiced_this_period_ticks', type: 'bigint' })
  invoicedThisPeriodTicks: string;

  @Column({ name: 'invoiced_limit_ticks', type: 'bigint' })
  invoicedLimitTicks: string;

  /** The invoice period `invoicedThisPeriodTicks` counts. */
  @Column({ name: 'period_start', type: 'date' })
  periodStart: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
