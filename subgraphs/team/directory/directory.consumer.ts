import type { EntityManager } from 'typeorm';
import { EventType, type DomainEvent, type EventConsumer, type UserEmailChangedPayload, type UserLifecyclePayload } from '../../kit/events';
import type { DirectoryRepository } from './directory.repository';

/**
 * Keeps Team's copy of accounts' emails current: a changed email moves (verified: Identity announces
 * a change only once the code mailed to the new address came back), a purged account goes.
 */
export class DirectoryConsumer implements EventConsumer {
  readonly name = 'team.directory';
  readonly types = [EventType.UserEmailChanged, EventType.UserPurged];

  constructor(private readonly directory: DirectoryRepository) {}

  handles(event: DomainEvent): boolean {
    return event.type === EventType.UserEmailChanged || event.type === EventType.UserPurged;
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    if (event.type === EventType.UserEmailChanged) {
      const { userId, email } = event.payload as unknown as UserEmailChangedPayload;
      await this.directory.recordVerified(tx, userId, email, new Date(event.occurredAt));
    } else {
      await this.directory.forget(tx, (event.payload as unknown as UserLifecyclePayload).userId);
    }
  }
}
