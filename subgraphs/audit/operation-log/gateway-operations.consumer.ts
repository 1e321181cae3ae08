import type { EntityManager } from 'typeorm';
import { EventType, type DomainEvent, type EventConsumer, type GatewayOperationsRecordedPayload } from '../../kit/events';
import type { AuditEventService } from '../audit-event/audit-event.service';

/**
 * Records the gateway's batches of operations, each operation as one audit entry. The batch is
 * applied in one transaction, once (the consumer inbox); each operation keeps the id the gateway
 * gave it, so a batch republished under a new id still records nothing twice.
 */
export class GatewayOperationsConsumer implements EventConsumer {
  readonly name = 'audit.gateway-operations';
  readonly types = [EventType.GatewayOperationsRecorded];

  constructor(private readonly audit: AuditEventService) {}

  handles(event: DomainEvent): boolean {
    return event.type === EventType.GatewayOperationsRecorded;
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    const { operations } = event.payload as unknown as GatewayOperationsRecordedPayload;
    await this.audit.recordOperations(tx, operations ?? []);
  }
}
