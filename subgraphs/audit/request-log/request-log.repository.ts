import type { UsageRequestColumns } from '../../kit/events';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import type { ApiRequestLog } from './request-log.entity';

export interface DeletedRequestLogs {
  batches: number;
  requests: number;
}

export class ApiRequestLogRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Writes one batch's logs of one team as one row, column by column (an absent optional column
   * stays null). A batch written before (the same batch id and team) is left as it is. Returns
   * how many requests were new.
   */
  async insert(tx: Tx, teamId: string, batchId: string, c: UsageRequestColumns, recordedAt: Date): Promise<number> {
    const n = c.requestId.length;
    if (n === 0) return 0;
    let first = Infinity;
    let last = -Infinity;
    for (const ms of c.occurredAtMs) {
      if (ms < first) first = ms;
      if (ms > last) last = ms;
    }
    const rows: { requests: number }[] = await tx.query(
      `INSERT INTO audit.api_request_log_batches (batch_id, team_id, recorded_at, first_occurred_at, last_occurred_at,
         request_ids, api_key_ids, models, prompt_tokens, cached_prompt_tokens, completion_tokens, occurred_ms,
         request_bytes, response_bytes, body_digests, request_bodies, response_bodies)
       VALUES ($1, $2::uuid, $3, $4, $5, $6::text[], $7::text[], $8::text[], $9::int[], $10::int[], $11::int[], $12::bigint[],
         $13::int[], $14::int[], $15::text[], $16::text[], $17::text[])
       ON CONFLICT (batch_id, team_id) DO NOTHING
       RETURNING cardinality(request_ids) AS requests`,
      [
        batchId,
        teamId,
        recordedAt,
        new Date(first),
        new Date(last),
        c.requestId,
        c.apiKeyId,
        c.model,
        c.promptTokens,
        c.cachedPromptTokens,
        c.completionTokens,
        c.occurredAtMs,
        c.requestBytes ?? null,
        c.responseBytes ?? null,
        c.bodyDigest ?? null,
        c.requestBody ?? null,
        c.responseBody ?? null,
      ],
    );
    return rows[0]?.requests ?? 0;
  }

  /** Deletes up to `limit` batches written before the cutoff. */
  async deleteWrittenBefore(cutoff: Date, limit: number): Promise<DeletedRequestLogs> {
    return this.uow.run(async (tx) => {
      // SKIP LOCKED: two runs at once split the work instead of waiting on each other.
      const [deleted]: { batches: number; requests: number }[] = await tx.query(
        `WITH doomed AS (
           SELECT batch_id, team_id FROM audit.api_request_log_batches WHERE recorded_at < $1 ORDER BY recorded_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ), deleted AS (
           DELETE FROM audit.api_request_log_batches b USING doomed d WHERE b.batch_id = d.batch_id AND b.team_id = d.team_id
           RETURNING cardinality(b.request_ids) AS requests
         )
         SELECT count(*)::int AS batches, coalesce(sum(requests), 0)::int AS requests FROM deleted`,
        [cutoff, limit],
      );
      return deleted;
    });
  }

  /** A team's logged requests that occurred in [from, to), oldest first (an investigation's read). */
  async byTeam(teamId: string, from = new Date(0), to = new Date(8.64e15)): Promise<ApiRequestLog[]> {
    const rows: Record<string, unknown>[] = await this.uow.reader.query(
      `SELECT b.team_id, b.recorded_at, r.*, timestamptz 'epoch' + r.occurred_ms * interval '1 millisecond' AS occurred_at
       FROM audit.api_request_log_batches b,
         unnest(b.request_ids, b.api_key_ids, b.models, b.prompt_tokens, b.cached_prompt_tokens, b.completion_tokens, b.occurred_ms,
           b.request_bytes, b.response_bytes, b.body_digests, b.request_bodies, b.response_bodies)
           AS r(request_id, api_key_id, model, prompt_tokens, cached_prompt_tokens, completion_tokens, occurred_ms,
             request_bytes, response_bytes, body_digest, request_body, response_body)
       WHERE b.team_id = $1 AND b.last_occurred_at >= $2 AND b.first_occurred_at < $3
         AND r.occurred_ms >= extract(epoch FROM $2::timestamptz) * 1000 AND r.occurred_ms < extract(epoch FROM $3::timestamptz) * 1000
       ORDER BY r.occurred_ms, r.request_id`,
      [teamId, from, to],
    );
    return rows.map((r) => ({
      requestId: r.request_id as string,
      teamId: r.team_id as string,
      apiKeyId: r.api_key_id as string,
      model: r.model as string,
      promptTokens: r.prompt_tokens as number,
      cachedPromptTokens: r.cached_prompt_tokens as number,
      completionTokens: r.completion_tokens as number,
      requestBytes: r.request_bytes as number | null,
      responseBytes: r.response_bytes as number | null,
      bodyDigest: r.body_digest as string | null,
      requestBody: r.request_body as string | null,
      responseBody: r.response_body as string | null,
      occurredAt: r.occurred_at as Date,
      recordedAt: r.recorded_at as Date,
    }));
  }
}
