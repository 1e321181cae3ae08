import type { EntityManager } from 'typeorm';
import { EventType, type DomainEvent, type EventConsumer, type TeamMemberAddedPayload } from '../../kit/events';
import type { TeamMembershipRepository } from './team-membership.repository';

/** Keeps Identity's copy of team memberships in step with Team. */
export class TeamMembershipConsumer implements EventConsumer {
  readonly name = 'identity.team-memberships';
  readonly types = [EventType.TeamMemberAdded, EventType.TeamMemberRemoved];

  constructor(private readonly memberships: TeamMembershipRepository) {}

  handles(event: DomainEvent): boolean {
    return event.type === EventType.TeamMemberAdded || event.type === EventType.TeamMemberRemoved;
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    const { userId, teamId } = event.payload as unknown as TeamMemberAddedPayload;
    if (event.type === EventType.TeamMemberAdded) await this.memberships.add(tx, userId, teamId);
    else await this.memberships.remove(tx, userId, teamId);
  }
}
