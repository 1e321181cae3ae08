import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AuditRequestLogs1733100000000 } from './1733100000000-audit-request-logs';

const COLUMNS = `request_ids, api_key_ids, models, prompt_tokens, cached_prompt_tokens, completion_tokens, occurred_ms,
  request_bytes, response_bytes, body_digests, request_bodies, response_bodies`;

/**
 * The API request log is kept per metering batch: one row per `billing.usage.recorded` event (the
 * requests one batch billed to one team), its columns as arrays, instead of one row per request.
 *
 * Per request, the row and its three B-tree entries were the heaviest write of the usage path:
 * about 400 bytes of WAL and as many index insertions per request as Billing makes to bill it,
 * at thousands of requests a second. The log is read only to investigate one team's requests over
 * a time range, and deleted 30 days after it was written; batch rows serve both, with two index
 * entries per batch. A batch is stored once (its id and team), however often it is delivered; a
 * request id is billed, so sent, once ever.
 *
 * Existing rows become batches by the moment Audit wrote them (one batch's rows share it).
 */
export class AuditRequestLogBatches1734200000000 implements MigrationInterface {
  name = 'AuditRequestLogBatches1734200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit.api_request_log_batches (
      batch_id text NOT NULL,
      team_id uuid NOT NULL,
      recorded_at timestamptz NOT NULL,
      first_occurred_at timestamptz NOT NULL,
      last_occurred_at timestamptz NOT NULL,
      request_ids text[] NOT NULL,
      api_key_ids text[] NOT NULL,
      models text[] NOT NULL,
      prompt_tokens int[] NOT NULL,
      cached_prompt_tokens int[] NOT NULL,
      completion_tokens int[] NOT NULL,
      occurred_ms bigint[] NOT NULL,
      request_bytes int[],
      response_bytes int[],
      body_digests text[],
      request_bodies text[],
      response_bodies text[],
      PRIMARY KEY (batch_id, team_id)
    )`);
    await q.query('CREATE INDEX api_request_log_batches_team_idx ON audit.api_request_log_batches (team_id, last_occurred_at)');
    await q.query('CREATE INDEX api_request_log_batches_recorded_at_idx ON audit.api_request_log_batches (recorded_at)');
    await q.query(`INSERT INTO audit.api_request_log_batches (batch_id, team_id, recorded_at, first_occurred_at, last_occurred_at, ${COLUMNS})
      SELECT 'migrated:' || md5(team_id::text || recorded_at::text), team_id, recorded_at, min(occurred_at), max(occurred_at),
        array_agg(request_id ORDER BY occurred_at, request_id), array_agg(api_key_id ORDER BY occurred_at, request_id),
        array_agg(model ORDER BY occurred_at, request_id), array_agg(prompt_tokens ORDER BY occurred_at, request_id),
        array_agg(cached_prompt_tokens ORDER BY occurred_at, request_id), array_agg(completion_tokens ORDER BY occurred_at, request_id),
        array_agg((extract(epoch FROM occurred_at) * 1000)::bigint ORDER BY occurred_at, request_id),
        array_agg(request_bytes ORDER BY occurred_at, request_id), array_agg(response_bytes ORDER BY occurred_at, request_id),
        array_agg(body_digest ORDER BY occurred_at, request_id), array_agg(request_body ORDER BY occurred_at, request_id),
        array_agg(response_body ORDER BY occurred_at, request_id)
      FROM audit.api_request_logs
      GROUP BY team_id, recorded_at`);
    await q.query('DROP TABLE audit.api_request_logs');
  }

  async down(q: QueryRunner): Promise<void> {
    // The per-request table exactly as its own migration made it.
    await new AuditRequestLogs1733100000000().up(q);
    await q.query(`INSERT INTO audit.api_request_logs (request_id, team_id, api_key_id, model, prompt_tokens, cached_prompt_tokens, completion_tokens,
        request_bytes, response_bytes, body_digest, request_body, response_body, occurred_at, recorded_at)
      SELECT r.request_id, b.team_id, r.api_key_id, r.model, r.prompt, r.cached, r.completion, r.request_bytes, r.response_bytes,
        r.body_digest, r.request_body, r.response_body, timestamptz 'epoch' + r.occurred_ms * interval '1 millisecond', b.recorded_at
      FROM audit.api_request_log_batches b,
        unnest(b.${COLUMNS.replace(/,\s*/g, ', b.')})
          AS r(request_id, api_key_id, model, prompt, cached, completion, occurred_ms, request_bytes, response_bytes, body_digest, request_body, response_body)
      ON CONFLICT (request_id) DO NOTHING`);
    await q.query('DROP TABLE audit.api_request_log_batches');
  }
}
