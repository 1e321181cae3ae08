import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Who a team's invoices are made out to; kept by the team's admins. */
@Entity({ name: 'billing_information' })
export class BillingInformationEntity {
  @PrimaryColumn({ name: 'team_id', type: 'uuid' })
  teamId: string;

  @Column({ name: 'legal_name', type: 'text' })
  legalName: string;

  @Column({ type: 'text' })
  address: string;

  /** ISO 3166 alpha-2 country of the billing address. */
  @Column({ type: 'text' })
  country: string;

  @Column({ name: 'tax_id', type: 'text', nullable: true })
  taxId: string | null;

  @Column({ name: 'updated_by', type: 'uuid', nullable: true })
  updatedBy: string | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
