import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Billing's copy of one of Team's API keys: whose it is, whether it may still be billed, its spend cap. */
@Entity({ name: 'api_keys' })
export class BillingApiKeyEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId: string;

  /** Disabled or leaked: usage from this moment on is refused (cleared when the key is enabled again). */
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  /** Deleted, or the end of a rotation's grace period: usage from this moment on is refused for good. */
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'monthly_spend_cap_ticks', type: 'bigint', nullable: true })
  monthlySpendCapTicks: string | null;

  /** The UTC month `spendThisPeriodTicks` counts. */
  @Column({ name: 'spend_period', type: 'date' })
  spendPeriod: string;

  @Column({ name: 'spend_this_period_ticks', type: 'bigint' })
  spendThisPeriodTicks: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
