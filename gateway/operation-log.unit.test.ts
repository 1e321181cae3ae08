import { parse } from 'graphql';
import type { DomainEvent, EventBus, GatewayOperationsRecordedPayload } from '../subgraphs/kit/events';
import { createLogger } from '../subgraphs/kit/logger';
import { describeOperation, OperationLogPublisher, outcomeOf } from './operation-log';

const logger = createLogger('test', 'silent');
const TEAM = '6f1c2b0e-9d3a-4c55-8f0e-2a1b3c4d5e6f';

function flakyBus(failures: number) {
  const published: DomainEvent[] = [];
  const attempts: string[] = [];
  const bus: EventBus = {
    kind: 'postgres',
    publish: async (events) => {
      attempts.push(...events.map((e) => e.id));
      if (failures-- > 0) throw new Error('bus down');
      published.push(...events);
    },
    subscribe: async () => ({ stop: async () => undefined }),
    close: async () => undefined,
  };
  return { bus, published, attempts };
}

const record = (n: number) =>
  describeOperation({ document: parse(`mutation Op${n} { updateTeam(id: "${TEAM}", input: {}) { id } }`), contextValue: { requestId: `r${n}` } }, undefined)!;

describe('operation records', () => {
  it('takes the team from teamId, input.teamId or a team’s own id, else the management key’s team', () => {
    const ctx = { contextValue: {} };
    expect(describeOperation({ ...ctx, document: parse('query($t: ID!) { auditLog(teamId: $t) { edges { cursor } } }'), variableValues: { t: TEAM } }, undefined)?.teamId).toBe(TEAM);
    expect(describeOperation({ ...ctx, document: parse(`mutation { createApiKey(input: { teamId: "${TEAM}" }) { id } }`) }, undefined)?.teamId).toBe(TEAM);
    expect(describeOperation({ ...ctx, document: parse(`{ team(id: "${TEAM}") { id } }`) }, undefined)?.teamId).toBe(TEAM);
    expect(describeOperation({ ...ctx, document: parse(`{ apiKey(id: "${TEAM}") { id } }`) }, undefined)?.teamId).toBeNull();
    const key = { kind: 'management-key' as const, keyId: 'k', teamId: TEAM, scopes: [], createdBy: 'u' };
    expect(describeOperation({ document: parse('{ me { id } }'), contextValue: { principal: key } }, undefined)).toMatchObject({ teamId: TEAM, actor: { apiKeyId: 'k' } });
  });

  it('is DENIED for FORBIDDEN or UNAUTHENTICATED, FAILED for other errors', () => {
    expect(outcomeOf(undefined).outcome).toBe('ALLOWED');
    expect(outcomeOf([{ extensions: { code: 'BAD_USER_INPUT' } }, { extensions: { code: 'FORBIDDEN' } }])).toEqual({ outcome: 'DENIED', errorCodes: ['BAD_USER_INPUT', 'FORBIDDEN'] });
    expect(outcomeOf([{ extensions: { code: 'UNAUTHENTICATED' } }]).outcome).toBe('DENIED');
    expect(outcomeOf([{}]).outcome).toBe('FAILED');
  });
});

describe('the operation log publisher', () => {
  it('publishes in batches and retries a failed batch under the same id until the bus takes it', async () => {
    const { bus, published, attempts } = flakyBus(2);
    const publisher = new OperationLogPublisher(bus, logger, { batchSize: 3, flushMs: 10 });
    const sent = Array.from({ length: 7 }, (_, i) => record(i));
    for (const r of sent) publisher.record(r);
    await publisher.close(10_000);
    const operations = published.flatMap((e) => (e.payload as unknown as GatewayOperationsRecordedPayload).operations.map((o) => o.id));
    expect(operations).toEqual(sent.map((r) => r.id));
    expect(published.every((e) => (e.payload as unknown as GatewayOperationsRecordedPayload).operations.length <= 3)).toBe(true);
    // The first batch failed twice: three attempts, one envelope id.
    expect(attempts.slice(0, 3)).toEqual([attempts[0], attempts[0], attempts[0]]);
    expect(publisher.buffered).toBe(0);
  });

  it('does not retry on every new record while the bus is failing', async () => {
    const { bus, attempts } = flakyBus(Number.MAX_SAFE_INTEGER);
    const publisher = new OperationLogPublisher(bus, logger, { batchSize: 1, flushMs: 10 });
    publisher.record(record(0));
    await publisher.flush();
    for (let i = 1; i <= 50; i++) {
      publisher.record(record(i));
      await new Promise((r) => setImmediate(r));
    }
    // One failed attempt, then the backoff (200 ms) holds: no attempt per record.
    expect(attempts).toHaveLength(1);
    expect(publisher.buffered).toBe(51);
    await publisher.close(0);
  });

  it('keeps records off the request path: record() returns before anything is published', () => {
    const { bus, published } = flakyBus(0);
    const publisher = new OperationLogPublisher(bus, logger, { batchSize: 100, flushMs: 1000 });
    publisher.record(record(1));
    expect(published).toHaveLength(0);
    expect(publisher.buffered).toBe(1);
    return publisher.close();
  });
});
