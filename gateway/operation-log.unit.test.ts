import { parse } from 'graphql';
import type { DomainEvent, EventBus, GatewayOperationsRecordedPayload } from '../subgraphs/kit/events';
import { createLogger } from '../subgraphs/kit/logger';
import { describeOperation, OperationLogPublisher, outcomeOf } from './operation-log';

const logger = createLogger('test', 'silent');
const TEAM = '6f1c2b0e-9d3a-4c55-8f0e-2a1b3c4d5e6f';

function flakyBus(failures: number) {
  const published: DomainEvent[] = [];
  const attempts: string[][] = [];
  let gate: Promise<void> = Promise.resolve();
  const bus: EventBus = {
    kind: 'postgres',
    publish: async (events) => {
      attempts.push(events.map((e) => e.id));
      await gate;
      if (failures-- > 0) throw new Error('bus down');
      published.push(...events);
    },
    subscribe: async () => ({ stop: async () => undefined }),
    close: async () => undefined,
  };
  /** Holds every write until the returned function is called. */
  const hold = () => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    return () => {
      gate = Promise.resolve();
      release();
    };
  };
  return { bus, published, attempts, hold };
}

const idsIn = (events: DomainEvent[]) => events.flatMap((e) => (e.payload as unknown as GatewayOperationsRecordedPayload).operations.map((o) => o.id));

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
  it('resolves a record only once the bus acknowledged it', async () => {
    const { bus, published, hold } = flakyBus(0);
    const publisher = new OperationLogPublisher(bus, logger, { batchSize: 10, waitMs: 10_000 });
    const release = hold();
    let settled = false;
    const acknowledged = publisher.record(record(1)).then((ok) => ((settled = true), ok));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    release();
    expect(await acknowledged).toBe(true);
    expect(idsIn(published)).toHaveLength(1);
    await publisher.close();
  });

  it('lets records arriving during a write share the next write (group commit)', async () => {
    const { bus, published, attempts, hold } = flakyBus(0);
    const publisher = new OperationLogPublisher(bus, logger, { batchSize: 3, waitMs: 10_000 });
    const release = hold();
    const sent = Array.from({ length: 8 }, (_, i) => record(i));
    const acks = sent.map((r) => publisher.record(r));
    release();
    expect(await Promise.all(acks)).toEqual(sent.map(() => true));
    // The first record's write, then one write carrying the seven that waited (in envelopes of at most 3).
    expect(attempts.map((a) => a.length)).toEqual([1, 3]);
    expect(idsIn(published)).toEqual(sent.map((r) => r.id));
    expect(publisher.writes).toBe(2);
    await publisher.close();
  });

  it('retries a failed write under the same envelope ids, and answers its waiters when it succeeds', async () => {
    const { bus, published, attempts } = flakyBus(2);
    const publisher = new OperationLogPublisher(bus, logger, { batchSize: 3, waitMs: 10_000 });
    const first = record(1);
    expect(await publisher.record(first)).toBe(true);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a[0])).size).toBe(1);
    expect(idsIn(published)).toEqual([first.id]);
    expect(publisher.buffered).toBe(0);
    await publisher.close();
  });

  it('does not retry on every new record while the bus is failing', async () => {
    const { bus, attempts } = flakyBus(Number.MAX_SAFE_INTEGER);
    const publisher = new OperationLogPublisher(bus, logger, { batchSize: 1, waitMs: 0 });
    await publisher.record(record(0));
    await new Promise((r) => setImmediate(r));
    for (let i = 1; i <= 50; i++) {
      void publisher.record(record(i));
      await new Promise((r) => setImmediate(r));
    }
    // One failed attempt, then the backoff (200 ms) holds: no attempt per record.
    expect(attempts).toHaveLength(1);
    expect(publisher.buffered).toBe(51);
    await publisher.close(0);
  });

  it('answers after the wait while the bus is down, and keeps the record until the bus takes it', async () => {
    const { bus, published } = flakyBus(3);
    const publisher = new OperationLogPublisher(bus, logger, { batchSize: 10, waitMs: 50 });
    const r = record(1);
    expect(await publisher.record(r)).toBe(false);
    expect(publisher.answeredUnacknowledged).toBe(1);
    await publisher.close(10_000);
    expect(idsIn(published)).toEqual([r.id]);
  });
});
