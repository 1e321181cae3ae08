import type { EntityManager } from 'typeorm';
import { EventType, type DomainEvent, type EventConsumer, type UserSignedUpPayload } from '../../kit/events';
import type { DomainService } from '../domain/domain.service';
import type { MemberService } from '../member/member.service';

/** A new account: record its email, fulfil its invitations, and join its verified-domain team. */
export class SignUpConsumer implements EventConsumer {
  readonly name = 'team.sign-up';

  constructor(
    private readonly members: MemberService,
    private readonly domains: DomainService,
  ) {}

  handles(event: DomainEvent): boolean {
    return event.type === EventType.UserSignedUp;
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    const { userId, email } = event.payload as unknown as UserSignedUpPayload;
    await this.members.onSignUp(tx, userId, email, event.actor);
    await this.domains.onSignUp(tx, userId, email, event.actor);
  }
}
