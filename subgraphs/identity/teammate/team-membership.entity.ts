import { Entity, PrimaryColumn } from 'typeorm';

/** A projection of Team's memberships, maintained from `team.member.*` events. */
@Entity({ name: 'team_memberships' })
export class TeamMembershipEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @PrimaryColumn({ name: 'team_id', type: 'uuid' })
  teamId: string;
}
