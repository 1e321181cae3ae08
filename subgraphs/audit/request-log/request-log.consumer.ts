import type { EntityManager } from 'typeorm';
import { EventType, type DomainEvent, type EventConsumer, type UsageRecordedPayload } from '../../kit/events';
import type { ApiRequestLogService } from './request-log.service';

/** Billing's `billing.usage.recorded` events become API request log rows, one per batch and team (once: inbox and batch id). */
export class ApiRequestLogConsumer implements EventConsumer {
  readonly name = 'audit.request-log';
  readonly types = [EventType.UsageRecorded];

  constructor(private readonly logs: ApiRequestLogService) {}

  handles(event: DomainEvent): boolean {
    return event.type === EventType.UsageRecorded && !!event.teamId;
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    await this.logs.record(tx, event.teamId!, event.payload as unknown as UsageRecordedPayload);
  }
}
