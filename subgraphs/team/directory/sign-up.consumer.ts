import type { EntityManager } from 'typeorm';
import { EventType, type DomainEvent, type EventConsumer, type UserSignedUpPayload } from '../../kit/events';
import type { DirectoryRepository } from './directory.repository';

/**
 * A new account: record its email, so Admins can add it by address. Invitations and domain joins
 * wait for the address to be verified (EmailVerifiedConsumer).
 */
export class SignUpConsumer implements EventConsumer {
  readonly name = 'team.sign-up';

  constructor(private readonly directory: DirectoryRepository) {}

  handles(event: DomainEvent): boolean {
    return event.type === EventType.UserSignedUp;
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    const { userId, email } = event.payload as unknown as UserSignedUpPayload;
    // An X sign-up has no email yet.
    if (email) await this.directory.record(tx, userId, email);
  }
}
