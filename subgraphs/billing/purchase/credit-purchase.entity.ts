import { Column, Entity, PrimaryColumn } from 'typeorm';

export type CreditPurchaseStatus = 'PENDING' | 'REQUIRES_CONFIRMATION' | 'SUCCEEDED' | 'FAILED';

/**
 * One purchase of prepaid credits, keyed by the caller's idempotency key within the team. It is
 * written before the card is charged, so a retry after a crash resumes the same charge.
 */
@Entity({ name: 'credit_purchases' })
export class CreditPurchaseEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey: string;

  @Column({ name: 'amount_ticks', type: 'bigint' })
  amountTicks: string;

  @Column({ name: 'payment_method_id', type: 'uuid' })
  paymentMethodId: string;

  @Column({ type: 'text' })
  status: CreditPurchaseStatus;

  @Column({ name: 'charge_id', type: 'text', nullable: true })
  chargeId: string | null;

  @Column({ name: 'failure_code', type: 'text', nullable: true })
  failureCode: string | null;

  @Column({ name: 'failure_message', type: 'text', nullable: true })
  failureMessage: string | null;

  @Column({ name: 'refunded_ticks', type: 'bigint', default: '0' })
  refundedTicks: string;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
