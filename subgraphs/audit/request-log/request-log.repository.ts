import type { Tx, UnitOfWork } from '../../kit/transaction';
import type { ApiRequestLogEntity } from './request-log.entity';

export class ApiRequestLogRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Inserts the logs; a request id already logged is left as it is. Returns how many were new. */
  async insert(tx: Tx, rows: ApiRequestLogEntity[]): Promise<number> {
    if (rows.length === 0) return 0;
    const inserted: unknown[] = await tx.query(
      `INSERT INTO audit.api_request_logs (request_id, team_id, api_key_id, model, prompt_tokens, cached_prompt_tokens, completion_tokens,
         request_bytes, response_bytes, body_digest, request_body, response_body, occurred_at, recorded_at)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(request_id text, team_id uuid, api_key_id text, model text, prompt_tokens int,
         cached_prompt_tokens int, completion_tokens int, request_bytes int, response_bytes int, body_digest text, request_body text,
         response_body text, occurred_at timestamptz, recorded_at timestamptz)
       ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
      [
        JSON.stringify(
          rows.map((r) => ({
            request_id: r.requestId,
            team_id: r.teamId,
            api_key_id: r.apiKeyId,
            model: r.model,
            prompt_tokens: r.promptTokens,
            cached_prompt_tokens: r.cachedPromptTokens,
            completion_tokens: r.completionTokens,
            request_bytes: r.requestBytes,
            response_bytes: r.responseBytes,
            body_digest: r.bodyDigest,
            request_body: r.requestBody,
            response_body: r.responseBody,
            occurred_at: r.occurredAt.toISOString(),
            recorded_at: r.recordedAt.toISOString(),
          })),
        ),
      ],
    );
    return inserted.length;
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
