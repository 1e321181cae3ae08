import type { EntityManager } from 'typeorm';
import { EventType, type CreditAlertThresholdCrossedPayload, type DomainEvent, type EventConsumer } from '../../kit/events';
import type { CreditAlertMailService } from './credit-alert-mail.service';

/** Billing's credit alerts become mail to the team's Admins, once per alert event. */
export class CreditAlertMailConsumer implements EventConsumer {
  readonly name = 'team.credit-alert-mail';
  readonly types = [EventType.CreditAlertThresholdCrossed];

  constructor(private readonly alerts: CreditAlertMailService) {}

  handles(event: DomainEvent): boolean {
    return event.type === EventType.CreditAlertThresholdCrossed;
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    await this.alerts.notifyIn(tx, event.payload as unknown as CreditAlertThresholdCrossedPayload);
  }
}
