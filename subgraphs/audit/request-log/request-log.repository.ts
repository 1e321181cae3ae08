import type { UsageRequestColumns } from '../../kit/events';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import type { ApiRequestLogEntity } from './request-log.entity';

export class ApiRequestLogRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Inserts a batch's logs of one team, column by column (an absent optional column is all
   * nulls); a request id already logged, or repeated in the batch, is written once. Returns how
   * many were new. Already-logged ids are skipped by an anti-join, not ON CONFLICT: a speculative
   * insert writes a second WAL record per row, and this is the heaviest insert of the usage path.
   * The consumer group's single active member is this table's only writer, so no concurrent
   * insert of the same id can slip between the check and the insert (if one did, the unique key
   * fails the batch, which is retried).
   */
  async insert(tx: Tx, teamId: string, c: UsageRequestColumns, recordedAt: Date): Promise<number> {
    const n = c.requestId.length;
    if (n === 0) return 0;
    const nulls: null[] = new Array(n).fill(null);
    const [{ inserted }]: { inserted: number }[] = await tx.query(
      `WITH inserted AS (
         INSERT INTO audit.api_request_logs (request_id, team_id, api_key_id, model, prompt_tokens, cached_prompt_tokens, completion_tokens,
           request_bytes, response_bytes, body_digest, request_body, response_body, occurred_at, recorded_at)
         SELECT r.request_id, $1::uuid, r.api_key_id, r.model, r.prompt, r.cached, r.completion, r.request_bytes, r.response_bytes,
           r.body_digest, r.request_body, r.response_body, timestamptz 'epoch' + r.occurred_ms * interval '1 millisecond', $14::timestamptz
         FROM (
           SELECT DISTINCT ON (request_id) *
           FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[], $10::text[], $11::text[], $12::text[], $13::bigint[])
             AS u(request_id, api_key_id, model, prompt, cached, completion, request_bytes, response_bytes, body_digest, request_body, response_body, occurred_ms)
         ) AS r
         WHERE NOT EXISTS (SELECT 1 FROM audit.api_request_logs l WHERE l.request_id = r.request_id)
         RETURNING 1
       )
       SELECT count(*)::int AS inserted FROM inserted`,
      [
        teamId,
        c.requestId,
        c.apiKeyId,
        c.model,
        c.promptTokens,
        c.cachedPromptTokens,
        c.completionTokens,
        c.requestBytes ?? nulls,
        c.responseBytes ?? nulls,
        c.bodyDigest ?? nulls,
        c.requestBody ?? nulls,
        c.responseBody ?? nulls,
        c.occurredAtMs,
        recordedAt,
      ],
    );
    return inserted;
  }

  /** Deletes up to `limit` logs written before the cutoff; returns how many. */
  async deleteWrittenBefore(cutoff: Date, limit: number): Promise<number> {
    return this.uow.run(async (tx) => {
      // SKIP LOCKED: two runs at once split the work instead of waiting on each other.
      const [, count]: [unknown[], number] = await tx.query(
        `DELETE FROM audit.api_request_logs WHERE request_id IN (
           SELECT request_id FROM audit.api_request_logs WHERE recorded_at < $1 ORDER BY recorded_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [cutoff, limit],
      );
      return count;
    });
  }

  async byTeam(teamId: string): Promise<ApiRequestLogEntity[]> {
    const rows: Record<string, unknown>[] = await this.uow.reader.query('SELECT * FROM audit.api_request_logs WHERE team_id = $1 ORDER BY occurred_at, request_id', [teamId]);
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
