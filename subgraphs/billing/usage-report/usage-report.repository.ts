import type { UnitOfWork } from '../../kit/transaction';

export type UsageBucket = 'HOUR' | 'DAY';
export type UsageGrouping = 'API_KEY' | 'MODEL';

export interface UsageRow {
  start: Date;
  key: string;
  requests: number;
  promptTokens: bigint;
  cachedPromptTokens: bigint;
  completionTokens: bigint;
  costTicks: bigint;
}

export class UsageReportRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Billed usage of a team between `from` (inclusive) and `to` (exclusive), per UTC hour or day and per API key or model. */
  async usage(teamId: string, from: Date, to: Date, bucket: UsageBucket, groupBy: UsageGrouping): Promise<UsageRow[]> {
    const unit = bucket === 'HOUR' ? 'hour' : 'day';
    const key = groupBy === 'API_KEY' ? 'api_key_id' : 'model';
    const rows: { start: Date; key: string; requests: string; prompt: string; cached: string; completion: string; cost: string }[] = await this.uow.reader.query(
      `SELECT date_trunc('${unit}', occurred_at, 'UTC') AS start, ${key} AS key, count(*)::text AS requests,
              sum(prompt_tokens)::text AS prompt, sum(cached_prompt_tokens)::text AS cached, sum(completion_tokens)::text AS completion,
              sum(cost_ticks)::text AS cost
       FROM billing.usage_events
       WHERE team_id = $1 AND occurred_at >= $2 AND occurred_at < $3
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [teamId, from, to],
    );
    return rows.map((r) => ({
      start: r.start,
      key: r.key,
      requests: Number(r.requests),
      promptTokens: BigInt(r.prompt),
      cachedPromptTokens: BigInt(r.cached),
      completionTokens: BigInt(r.completion),
      costTicks: BigInt(r.cost),
    }));
  }
}
