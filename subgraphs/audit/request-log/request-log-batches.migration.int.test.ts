import { randomUUID } from 'node:crypto';
import { UnitOfWork } from '../../kit/transaction';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { AuditServices } from '../audit.context';
import { auditSubgraph } from '../audit.subgraph';
import { AuditRequestLogBatches1734200000000 } from '../migrations/1734200000000-audit-request-log-batches';
import { ApiRequestLogRepository } from './request-log.repository';

let audit: StartedSubgraph<AuditServices>;

beforeAll(async () => {
  audit = await startSubgraph(auditSubgraph, { app: { consumers: false, relay: false, jobs: false } });
});

afterAll(async () => {
  await audit?.stop();
});

const db = () => audit.app.infra.dataSource;

describe('moving the API request log from one row per request to one row per batch', () => {
  it('turns the rows Audit wrote together into one batch each, losing no field, and back', async () => {
    const migration = new AuditRequestLogBatches1734200000000();
    const runner = db().createQueryRunner();
    try {
      await migration.down(runner);
      const teamId = randomUUID();
      const insert = (requestId: string, occurredAt: string, recordedAt: string, body: string | null) =>
        runner.query(
          `INSERT INTO audit.api_request_logs (request_id, team_id, api_key_id, model, prompt_tokens, cached_prompt_tokens, completion_tokens,
             request_bytes, response_bytes, body_digest, request_body, response_body, occurred_at, recorded_at)
           VALUES ($1, $2, 'key-1', 'grok-4', 10, 2, 5, 120, NULL, 'digest', $3, NULL, $4, $5)`,
          [requestId, teamId, body, occurredAt, recordedAt],
        );
      await insert('a', '2026-11-02T10:05:00Z', '2026-11-02T10:06:00Z', 'in');
      await insert('b', '2026-11-02T10:01:00Z', '2026-11-02T10:06:00Z', null);
      await insert('c', '2026-11-02T11:00:00Z', '2026-11-02T11:00:01Z', null);
      await migration.up(runner);

      const batches: { request_ids: string[]; recorded_at: Date }[] = await runner.query(
        'SELECT request_ids, recorded_at FROM audit.api_request_log_batches WHERE team_id = $1 ORDER BY recorded_at',
        [teamId],
      );
      expect(batches.map((b) => b.request_ids)).toEqual([['b', 'a'], ['c']]);
      const logs = await new ApiRequestLogRepository(new UnitOfWork(db())).byTeam(teamId);
      expect(logs.map((l) => [l.requestId, l.occurredAt.toISOString(), l.recordedAt.toISOString(), l.requestBytes, l.responseBytes, l.bodyDigest, l.requestBody])).toEqual([
        ['b', '2026-11-02T10:01:00.000Z', '2026-11-02T10:06:00.000Z', 120, null, 'digest', null],
        ['a', '2026-11-02T10:05:00.000Z', '2026-11-02T10:06:00.000Z', 120, null, 'digest', 'in'],
        ['c', '2026-11-02T11:00:00.000Z', '2026-11-02T11:00:01.000Z', 120, null, 'digest', null],
      ]);

      await migration.down(runner);
      const rows: { request_id: string; request_body: string | null }[] = await runner.query(
        'SELECT request_id, request_body FROM audit.api_request_logs WHERE team_id = $1 ORDER BY occurred_at',
        [teamId],
      );
      expect(rows).toEqual([
        { request_id: 'b', request_body: null },
        { request_id: 'a', request_body: 'in' },
        { request_id: 'c', request_body: null },
      ]);
    } finally {
      // Leave the schema as the migrations do.
      if (await runner.hasTable('audit.api_request_logs')) await migration.up(runner);
      await runner.release();
    }
  });
});
