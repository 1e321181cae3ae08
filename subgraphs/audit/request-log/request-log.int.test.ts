import { createHash, randomUUID } from 'node:crypto';
import { createEvent, EventType, type DomainEvent, type UsageRecordedPayload, type UsageRequestColumns, type UsageRequestLog } from '../../kit/events';
import { UnitOfWork } from '../../kit/transaction';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { AuditServices } from '../audit.context';
import { auditSubgraph } from '../audit.subgraph';
import { ApiRequestLogConsumer } from './request-log.consumer';
import { ApiRequestLogRepository } from './request-log.repository';
import { ApiRequestLogService } from './request-log.service';

let audit: StartedSubgraph<AuditServices>;

beforeAll(async () => {
  audit = await startSubgraph(auditSubgraph, { app: { consumers: false, relay: false, jobs: false } });
});

afterAll(async () => {
  await audit?.stop();
});

const DAY = 24 * 60 * 60 * 1000;
const db = () => audit.app.infra.dataSource;
const repository = () => new ApiRequestLogRepository(new UnitOfWork(db()));
const serviceAt = (now: Date, keepBodies = false) => new ApiRequestLogService(repository(), keepBodies, () => now, 2);

const request = (overrides: Partial<UsageRequestLog> = {}): UsageRequestLog => ({
  requestId: `req-${randomUUID()}`,
  apiKeyId: 'key-1',
  model: 'grok-4',
  promptTokens: 10,
  cachedPromptTokens: 2,
  completionTokens: 5,
  occurredAt: new Date().toISOString(),
  requestBytes: 120,
  responseBytes: 800,
  bodyDigest: createHash('sha256').update('in\0out').digest('hex'),
  requestBody: 'in',
  responseBody: 'out',
  ...overrides,
});

const usageEvent = (teamId: string, requests: UsageRequestLog[], batchId: string = randomUUID()): DomainEvent =>
  createEvent('billing', { type: EventType.UsageRecorded, aggregateId: teamId, teamId, actor: null, payload: { batchId, requests } satisfies UsageRecordedPayload }) as unknown as DomainEvent;

const logsOf = (teamId: string) => repository().byTeam(teamId);

describe('API request logs', () => {
  it('records each billed request once, with sizes and digest, and no bodies unless configured', async () => {
    const teamId = randomUUID();
    const requests = [request(), request({ requestBody: null, responseBody: null })];
    const consumer = new ApiRequestLogConsumer(audit.app.services.requestLogs);
    const event = usageEvent(teamId, requests);
    expect(consumer.handles(event)).toBe(true);
    await db().transaction((tx) => consumer.apply(event, tx));
    // The same batch again, as a republished envelope under a new event id would bring it.
    const again = { ...event, id: randomUUID() };
    await db().transaction((tx) => consumer.apply(again, tx));
    const rows = await logsOf(teamId);
    expect(rows.map((r) => r.requestId).sort()).toEqual(requests.map((r) => r.requestId).sort());
    const first = rows.find((r) => r.requestId === requests[0].requestId)!;
    expect(first).toMatchObject({ teamId, apiKeyId: 'key-1', model: 'grok-4', promptTokens: 10, requestBytes: 120, responseBytes: 800, bodyDigest: requests[0].bodyDigest });
    expect(first.requestBody).toBeNull();
    expect(first.responseBody).toBeNull();
  });

  it('stores a batch as one row, its requests in order, found by the time they occurred', async () => {
    const teamId = randomUUID();
    const at = (minute: number) => new Date(Date.parse('2026-11-02T10:00:00Z') + minute * 60_000).toISOString();
    const requests = [request({ occurredAt: at(5) }), request({ occurredAt: at(1) }), request({ occurredAt: at(9) })];
    await db().transaction((tx) => serviceAt(new Date()).record(tx, teamId, { batchId: 'one-row', requests }));
    const [{ rows }]: { rows: number }[] = await db().query('SELECT count(*)::int AS rows FROM audit.api_request_log_batches WHERE team_id = $1', [teamId]);
    expect(rows).toBe(1);
    expect((await logsOf(teamId)).map((r) => r.occurredAt.toISOString())).toEqual([at(1), at(5), at(9)]);
    const window = await repository().byTeam(teamId, new Date(at(2)), new Date(at(9)));
    expect(window.map((r) => r.requestId)).toEqual([requests[0].requestId]);
  });

  it('reads the column-by-column payload billing writes, optional columns absent or null', async () => {
    const teamId = randomUUID();
    const [a, b] = [request(), request()];
    const columns: UsageRequestColumns = {
      requestId: [a.requestId, b.requestId],
      apiKeyId: ['key-1', 'key-2'],
      model: ['grok-4', 'grok-3-mini'],
      promptTokens: [10, 30],
      cachedPromptTokens: [2, 0],
      completionTokens: [5, 7],
      occurredAtMs: [Date.parse('2026-11-02T10:00:00Z'), Date.parse('2026-11-02T11:00:00Z')],
      requestBytes: [120, null],
    };
    await db().transaction((tx) => serviceAt(new Date(), true).record(tx, teamId, { batchId: 'c', columns }));
    const rows = await logsOf(teamId);
    expect(rows.map((r) => [r.requestId, r.apiKeyId, r.model, r.promptTokens, r.cachedPromptTokens, r.completionTokens, r.occurredAt.toISOString(), r.requestBytes, r.bodyDigest]).sort()).toEqual(
      [
        [a.requestId, 'key-1', 'grok-4', 10, 2, 5, '2026-11-02T10:00:00.000Z', 120, null],
        [b.requestId, 'key-2', 'grok-3-mini', 30, 0, 7, '2026-11-02T11:00:00.000Z', null, null],
      ].sort(),
    );
  });

  it('keeps the bodies where the deployment enables it', async () => {
    const teamId = randomUUID();
    await db().transaction((tx) => serviceAt(new Date(), true).record(tx, teamId, { batchId: 'b', requests: [request()] }));
    const [row] = await logsOf(teamId);
    expect([row.requestBody, row.responseBody]).toEqual(['in', 'out']);
  });

  it('is not recorded in the audit chain (bodies must not become immutable)', () => {
    const [recorder] = auditSubgraph.consumers!(audit.app.services);
    expect(recorder.handles(usageEvent(randomUUID(), [request()]))).toBe(false);
  });

  it('deletes logs 30 days after they were written, safely when run twice or concurrently', async () => {
    const teamId = randomUUID();
    const now = new Date();
    const old = Array.from({ length: 5 }, () => request());
    const young = [request()];
    await db().transaction((tx) => serviceAt(new Date(now.getTime() - 31 * DAY)).record(tx, teamId, { batchId: 'old', requests: old }));
    // Occurred long ago but written recently: kept, because retention counts from writing.
    await db().transaction((tx) => serviceAt(new Date(now.getTime() - 29 * DAY)).record(tx, teamId, { batchId: 'young', requests: young.map((r) => ({ ...r, occurredAt: new Date(now.getTime() - 90 * DAY).toISOString() })) }));

    const [a, b] = await Promise.all([serviceAt(now).runRetention(), serviceAt(now).runRetention()]);
    expect(a.deleted + b.deleted).toBe(5);
    expect((await logsOf(teamId)).map((r) => r.requestId)).toEqual(young.map((r) => r.requestId));
    expect((await serviceAt(now).runRetention()).deleted).toBe(0);
    expect((await logsOf(teamId)).map((r) => r.requestId)).toEqual(young.map((r) => r.requestId));
  });

  it('runs on demand from the Audit subgraph’s scheduled jobs', async () => {
    const jobs = auditSubgraph.jobs!(audit.app.services);
    const job = jobs.find((j) => j.name === 'audit.request-log-retention');
    expect(job?.everyMs).toBeLessThanOrEqual(60 * 60 * 1000);
    await expect(job!.run()).resolves.toMatchObject({ deleted: expect.any(Number) });
  });
});
