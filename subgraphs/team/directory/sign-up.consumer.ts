import type { EntityManager } from 'typeorm';
import { EventType, type DomainEvent, type EventConsumer, type UserSignedUpPayload } from '../../kit/events';
import type { DirectoryRepository } from './directory.repository';

/**
 * A new account: record its email as unverified. Adding it by address, invitations, domain joins
 * and team mail all wait for the address to be verified (EmailVerifiedConsumer): anyone can type
 * someone else's address at sign-up. Identity announces a provider-verified address as a separate
 * verification event, so the sign-up itself never marks one verified.
 */
export class SignUpConsumer implements EventConsumer {
  readonly name = 'team.sign-up';
  readonly types = [EventType.UserSignedUp];

  constructor(private readonly directory: DirectoryRepository) {}

  handles(event: DomainEvent): boolean {
    return event.type === EventType.UserSignedUp;
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    const { userId, email } = event.payload as unknown as UserSignedUpPayload;
    // An X sign-up has no email yet.
    if (email) await this.directory.recordSignUp(tx, userId, email, new Date(event.occurredAt));
  }
}
