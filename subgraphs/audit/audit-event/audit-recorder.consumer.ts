import type { EntityManager } from 'typeorm';
import type { DomainEvent, EventConsumer } from '../../kit/events';
import type { AuditEventService } from './audit-event.service';

/** Every domain event from every subgraph becomes an audit entry. */
export class AuditRecorderConsumer implements EventConsumer {
  readonly name = 'audit.recorder';

  constructor(private readonly audit: AuditEventService) {}

  handles(): boolean {
    return true;
  }

  apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    return this.audit.record(tx, event);
  }
}
