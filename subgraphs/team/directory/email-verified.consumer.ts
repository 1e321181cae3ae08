import type { EntityManager } from 'typeorm';
import { EventType, type DomainEvent, type EventConsumer, type UserEmailVerifiedPayload } from '../../kit/events';
import type { DomainService } from '../domain/domain.service';
import type { MemberService } from '../member/member.service';

/**
 * An account proved it receives mail at an address: record it, fulfil its invitations, and join
 * (or ask to join) the team that verified its domain. An address given at sign-up is not enough:
 * anyone can type someone else's.
 */
export class EmailVerifiedConsumer implements EventConsumer {
  readonly name = 'team.email-verified';
  readonly types = [EventType.UserEmailVerified];

  constructor(
    private readonly members: MemberService,
    private readonly domains: DomainService,
  ) {}

  handles(event: DomainEvent): boolean {
    return event.type === EventType.UserEmailVerified;
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    const { userId, email } = event.payload as unknown as UserEmailVerifiedPayload;
    await this.members.onEmailVerified(tx, userId, email, event.actor, new Date(event.occurredAt));
    await this.domains.onEmailVerified(tx, userId, email, event.actor);
  }
}
