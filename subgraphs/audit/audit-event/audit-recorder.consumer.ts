import type { EntityManager } from 'typeorm';
import { EventType, type DomainEvent, type EventConsumer } from '../../kit/events';
import type { AuditEventService } from './audit-event.service';

/** Every domain event from every subgraph becomes an audit entry (the gateway's operation batches have their own consumer). */
export class AuditRecorderConsumer implements EventConsumer {
  readonly name = 'audit.recorder';
  // Usage batches carry request logs (possibly bodies): they go to the request log, not the audit chain.
  readonly exceptTypes: readonly string[] = [EventType.GatewayOperationsRecorded, EventType.UsageRecorded];

  constructor(private readonly audit: AuditEventService) {}

  handles(event: DomainEvent): boolean {
    return !this.exceptTypes.includes(event.type);
  }

  apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    return this.audit.record(tx, event);
  }
}
