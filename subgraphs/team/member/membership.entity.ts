import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TeamRole } from '../../kit/auth';

@Entity({ name: 'memberships' })
export class MembershipEntity {
  @PrimaryColumn({ name: 'team_id', type: 'uuid' })
  teamId: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  role: TeamRole;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
