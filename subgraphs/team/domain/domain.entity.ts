import { Column, Entity, PrimaryColumn } from 'typeorm';

export type DomainStatus = 'PENDING' | 'VERIFIED';
export type DomainJoinPolicy = 'AUTO' | 'ASK';

/** A domain a team claims; verified by a DNS TXT record the team publishes. */
@Entity({ name: 'domains' })
export class DomainEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId: string;

  @Column({ type: 'text' })
  domain: string;

  @Column({ type: 'text' })
  token: string;

  @Column({ type: 'text' })
  status: DomainStatus;

  @Column({ name: 'join_policy', type: 'text' })
  joinPolicy: DomainJoinPolicy;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt: Date | null;

  @Column({ name: 'checked_at', type: 'timestamptz', nullable: true })
  checkedAt: Date | null;
}

@Entity({ name: 'join_requests' })
export class JoinRequestEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  email: string;

  @Column({ type: 'text' })
  status: 'PENDING' | 'APPROVED' | 'REFUSED';

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'decided_by', type: 'uuid', nullable: true })
  decidedBy: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt: Date | null;
}
