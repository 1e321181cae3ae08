import type { Principal } from '../subgraphs/kit/auth';
import type { DomainEvent, EventBus, GatewayOperationRecord, GatewayOperationsRecordedPayload } from '../subgraphs/kit/events';
import { createLogger } from '../subgraphs/kit/logger';
import { OperationLogPublisher } from './operation-log';
import { RefusalLog } from './refusal-log';

const logger = createLogger('test', 'silent');
const TEAM = '6f1c2b0e-9d3a-4c55-8f0e-2a1b3c4d5e6f';
const KEY_TEAM = '0d9a2c1e-3b4f-4a5d-8e6f-7a8b9c0d1e2f';

function setup(options: Partial<{ perTeam: number }> = {}) {
  const published: GatewayOperationRecord[] = [];
  const bus: EventBus = {
    kind: 'postgres',
    publish: async (events: DomainEvent[]) => {
      for (const e of events) published.push(...(e.payload as unknown as GatewayOperationsRecordedPayload).operations);
    },
    subscribe: async () => ({ stop: async () => undefined }),
    close: async () => undefined,
  };
  const resolved: string[] = [];
  const resolve = async (token: string): Promise<Principal | undefined> => {
    resolved.push(token);
    return token.startsWith('cgm_') ? { kind: 'management-key', keyId: 'k1', teamId: KEY_TEAM, scopes: [], createdBy: 'u' } : undefined;
  };
  let now = 1_000_000;
  const log = new RefusalLog(new OperationLogPublisher(bus, logger, { batchSize: 50, waitMs: 1000 }), resolve, () => undefined, logger, {
    perTeam: options.perTeam ?? 60,
    windowMs: 60_000,
    maxDocumentLength: 32 * 1024,
    maxTokens: 2000,
  }, () => now);
  return { log, published, resolved, advance: (ms: number) => (now += ms) };
}

const code = (c: string) => [{ extensions: { code: c } }];

describe('the refusal log', () => {
  it('records a refusal against the team its document names: DENIED for a limit, FAILED for an invalid document', async () => {
    const { log, published } = setup();
    expect(await log.record({ query: `query Keys { team(id: "${TEAM}") { apiKeys { id } } }`, ip: '203.0.113.9', errors: code('QUERY_TOO_DEEP') })).toBe('recorded');
    expect(await log.record({ query: `{ team(id: "${TEAM}") { nope } }`, errors: code('GRAPHQL_VALIDATION_FAILED') })).toBe('recorded');
    expect(published).toEqual([
      expect.objectContaining({ teamId: TEAM, outcome: 'DENIED', operationName: 'Keys', errorCodes: ['QUERY_TOO_DEEP'], actor: { ip: '203.0.113.9' } }),
      expect.objectContaining({ teamId: TEAM, outcome: 'FAILED', errorCodes: ['GRAPHQL_VALIDATION_FAILED'] }),
    ]);
  });

  it('drops a refusal that names no team without resolving anyone', async () => {
    const { log, published, resolved } = setup();
    expect(await log.record({ query: '{ me { id ', token: 'some-session', errors: code('GRAPHQL_PARSE_FAILED') })).toBe('no-team');
    expect(await log.record({ query: 42, errors: code('BAD_REQUEST') })).toBe('no-team');
    expect(published).toEqual([]);
    expect(resolved).toEqual([]);
    expect(log.skipped['no-team']).toBe(2);
  });

  it('attributes an unreadable request from a management key to the key’s team, under a stable placeholder', async () => {
    const { log, published, resolved } = setup();
    expect(await log.record({ query: '{ nope', token: 'cgm_secret', operationName: 'Broken', errors: code('GRAPHQL_PARSE_FAILED') })).toBe('recorded');
    expect(await log.record({ token: 'cgm_secret', errors: code('BAD_REQUEST') })).toBe('recorded');
    expect(resolved).toEqual(['cgm_secret', 'cgm_secret']);
    expect(published).toEqual([
      expect.objectContaining({ teamId: KEY_TEAM, description: 'Broken', outcome: 'FAILED', actor: { apiKeyId: 'k1' } }),
      expect.objectContaining({ teamId: KEY_TEAM, description: 'InvalidOperation', outcome: 'FAILED' }),
    ]);
  });

  it('records at most the budget per team per window, and again in the next window', async () => {
    const { log, published, resolved, advance } = setup({ perTeam: 3 });
    const refusal = { query: `{ team(id: "${TEAM}") { id } }`, token: 'session', errors: code('RATE_LIMITED') };
    const fates = [];
    for (let i = 0; i < 10; i++) fates.push(await log.record(refusal));
    expect(fates.filter((f) => f === 'recorded')).toHaveLength(3);
    expect(log.skipped['over-budget']).toBe(7);
    // Callers are resolved only for refusals that are recorded.
    expect(resolved).toHaveLength(3);
    advance(60_000);
    expect(await log.record(refusal)).toBe('recorded');
    expect(published).toHaveLength(4);
  });

  it('never records a refusal as ALLOWED, even without an error code', async () => {
    const { log, published } = setup();
    await log.record({ query: `{ team(id: "${TEAM}") { id } }`, errors: [] });
    expect(published[0].outcome).toBe('FAILED');
  });
});
