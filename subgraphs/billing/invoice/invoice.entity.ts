import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TokenKind } from './invoice-lines';

/** Billing details as they were when the invoice was issued. */
export interface InvoiceBillingDetails {
  legalName: string;
  address: string;
  country: string;
  taxId: string | null;
}

/** A team's invoice for one closed period; issued once and never changed. */
@Entity({ name: 'invoices' })
export class InvoiceEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId: string;

  @Column({ name: 'period_start', type: 'date' })
  periodStart: string;

  @Column({ name: 'period_end', type: 'date' })
  periodEnd: string;

  @Column({ type: 'text' })
  status: 'ISSUED';

  @Column({ name: 'total_ticks', type: 'bigint' })
  totalTicks: string;

  @Column({ name: 'billing_details', type: 'jsonb', nullable: true })
  billingDetails: InvoiceBillingDetails | null;

  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt: Date;
}

@Entity({ name: 'invoice_lines' })
export class InvoiceLineEntity {
  @PrimaryColumn({ name: 'invoice_id', type: 'uuid' })
  invoiceId: string;

  @PrimaryColumn({ type: 'integer' })
  position: number;

  @Column({ type: 'text' })
  model: string;

  @Column({ name: 'token_kind', type: 'text' })
  tokenKind: TokenKind;

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'bigint' })
  quantity: string;

  @Column({ name: 'amount_ticks', type: 'bigint' })
  amountTicks: string;
}
