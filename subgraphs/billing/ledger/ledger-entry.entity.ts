import { Column, Entity, PrimaryColumn } from 'typeorm';

export type LedgerEntryKind = 'PURCHASE' | 'USAGE_PREPAID' | 'USAGE_INVOICED' | 'FORFEIT' | 'REFUND' | 'ADJUSTMENT';

/** One append-only movement of money; entries are never updated or deleted. */
@Entity({ name: 'ledger_entries' })
export class LedgerEntryEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId: string;

  @Column({ type: 'text' })
  kind: LedgerEntryKind;

  /** Signed change to prepaid credits. */
  @Column({ name: 'prepaid_delta_ticks', type: 'bigint' })
  prepaidDeltaTicks: string;

  /** Signed change to this period's invoiced usage. */
  @Column({ name: 'invoiced_delta_ticks', type: 'bigint' })
  invoicedDeltaTicks: string;

  @Column({ type: 'text', nullable: true })
  reference: string | null;

  /** The invoice period (first day of the UTC month) the invoiced delta belongs to. */
  @Column({ name: 'period_start', type: 'date' })
  periodStart: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
