import { randomUUID } from 'node:crypto';
import { createEvent, EventType, type DomainEvent } from '../../subgraphs/kit/events';
import type { SubgraphApp } from '../../subgraphs/kit/subgraph';

/**
 * Makes an API key of `teamId` known to a Billing replica the way Team's `team.api_key.created`
 * event does, through Billing's own consumer (for integration tests that run without Team).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function registerApiKey(billing: SubgraphApp<any, any>, teamId: string, keyId: string = randomUUID()): Promise<string> {
  const consumer = billing.consumers.find((c) => c.name === 'billing.api-keys');
  if (!consumer) throw new Error('billing.api-keys consumer not found');
  const created = createEvent('team', { type: EventType.ApiKeyCreated, aggregateId: teamId, teamId, actor: null, payload: { keyId, name: 'test key' } });
  await billing.consumerRunner.applyOnce(consumer, created as DomainEvent);
  return keyId;
}
