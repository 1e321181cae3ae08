import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A card a team pays with, stored as the processor's reference; never a card number. */
@Entity({ name: 'payment_methods' })
export class PaymentMethodEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId: string;

  @Column({ name: 'processor_ref', type: 'text' })
  processorRef: string;

  @Column({ type: 'text' })
  brand: string;

  @Column({ type: 'text' })
  last4: string;

  @Column({ type: 'text' })
  country: string;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
