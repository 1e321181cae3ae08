import type { EntityManager } from 'typeorm';
import { EventType, type DomainEvent, type EventConsumer, type UserSignedUpPayload } from '../../kit/events';
import type { TeamService } from '../team/team.service';

/** Gives every new user a Personal Team, as its Admin. */
export class PersonalTeamConsumer implements EventConsumer {
  readonly name = 'team.personal-team';
  readonly types = [EventType.UserSignedUp];

  constructor(private readonly teams: TeamService) {}

  handles(event: DomainEvent): boolean {
    return event.type === EventType.UserSignedUp;
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    const { userId } = event.payload as unknown as UserSignedUpPayload;
    await this.teams.createPersonalTeam(tx, userId, event.actor);
  }
}
