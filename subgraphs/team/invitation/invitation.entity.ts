import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TeamRole } from '../../kit/auth';

export type InvitationStatus = 'PENDING' | 'ACCEPTED' | 'CANCELLED';

/** An Admin asked someone without an account yet to join; fulfilled when they sign up. */
@Entity({ name: 'invitations' })
export class InvitationEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId: string;

  @Column({ type: 'text' })
  email: string;

  @Column({ type: 'text' })
  role: TeamRole;

  @Column({ name: 'invited_by', type: 'uuid' })
  invitedBy: string;

  @Column({ type: 'text' })
  status: InvitationStatus;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'accepted_by', type: 'uuid', nullable: true })
  acceptedBy: string | null;
}
