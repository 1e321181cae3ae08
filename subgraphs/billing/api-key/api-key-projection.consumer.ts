import type { EntityManager } from 'typeorm';
import { EventType, type ApiKeyPayload, type ApiKeyRotatedPayload, type DomainEvent, type EventConsumer } from '../../kit/events';
import { periodStartOf } from '../ledger/period';
import type { BillingApiKeyRepository } from './billing-api-key.repository';

const handled: ReadonlySet<string> = new Set([
  EventType.ApiKeyCreated,
  EventType.ApiKeyRotated,
  EventType.ApiKeyDisabled,
  EventType.ApiKeyLeaked,
  EventType.ApiKeyEnabled,
  EventType.ApiKeyDeleted,
  EventType.TeamDeleted,
]);

/**
 * Keeps Billing's copy of Team's API keys: which team each key bills, and from when it may no
 * longer be billed. Every change is idempotent (a redelivered event changes nothing more), and
 * Team publishes a team's key events in commit order.
 */
export class ApiKeyProjectionConsumer implements EventConsumer {
  readonly name = 'billing.api-keys';
  readonly types = [...handled];

  constructor(
    private readonly keys: BillingApiKeyRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  handles(event: DomainEvent): boolean {
    return handled.has(event.type);
  }

  async apply(event: DomainEvent, tx: EntityManager): Promise<void> {
    const at = this.now();
    const when = new Date(event.occurredAt);
    const { keyId } = event.payload as unknown as ApiKeyPayload;
    switch (event.type) {
      case EventType.ApiKeyCreated:
        return this.keys.created(tx, keyId, event.teamId!, null, periodStartOf(when), at);
      case EventType.ApiKeyRotated: {
        // The new key keeps the old one's settings, its spend cap included; the old one stops after the grace.
        const { rotatedFrom, graceSeconds } = event.payload as unknown as ApiKeyRotatedPayload;
        const [old] = await this.keys.lock(tx, [rotatedFrom]);
        await this.keys.created(tx, keyId, event.teamId!, old?.monthlySpendCapTicks ?? null, periodStartOf(when), at);
        return this.keys.revoke(tx, rotatedFrom, new Date(when.getTime() + graceSeconds * 1000), at);
      }
      case EventType.ApiKeyDisabled:
      case EventType.ApiKeyLeaked:
        return this.keys.setDisabled(tx, keyId, when, at);
      case EventType.ApiKeyEnabled:
        return this.keys.setDisabled(tx, keyId, null, at);
      case EventType.ApiKeyDeleted:
        return this.keys.revoke(tx, keyId, when, at);
      case EventType.TeamDeleted:
        return this.keys.revokeTeam(tx, event.teamId ?? (event.payload as { teamId: string }).teamId, when, at);
    }
  }
}
