import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The requests one metering batch billed to one team, kept 30 days for abuse audits: one row per
 * `billing.usage.recorded` event, each request's fields at the same index of every array. An
 * optional column the batch did not carry is null rather than an array of nulls.
 */
@Entity({ name: 'api_request_log_batches' })
export class ApiRequestLogBatchEntity {
  @PrimaryColumn({ name: 'batch_id', type: 'text' })
  batchId: string;

  @PrimaryColumn({ name: 'team_id', type: 'uuid' })
  teamId: string;

  /** When Audit wrote the batch: retention counts 30 days from here. */
  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt: Date;

  @Column({ name: 'first_occurred_at', type: 'timestamptz' })
  firstOccurredAt: Date;

  @Column({ name: 'last_occurred_at', type: 'timestamptz' })
  lastOccurredAt: Date;

  @Column({ name: 'request_ids', type: 'text', array: true })
  requestIds: string[];

  @Column({ name: 'api_key_ids', type: 'text', array: true })
  apiKeyIds: string[];

  @Column({ type: 'text', array: true })
  models: string[];

  @Column({ name: 'prompt_tokens', type: 'int', array: true })
  promptTokens: number[];

  @Column({ name: 'cached_prompt_tokens', type: 'int', array: true })
  cachedPromptTokens: number[];

  @Column({ name: 'completion_tokens', type: 'int', array: true })
  completionTokens: number[];

  /** Milliseconds since the epoch. */
  @Column({ name: 'occurred_ms', type: 'bigint', array: true })
  occurredMs: string[];

  @Column({ name: 'request_bytes', type: 'int', array: true, nullable: true })
  requestBytes: (number | null)[] | null;

  @Column({ name: 'response_bytes', type: 'int', array: true, nullable: true })
  responseBytes: (number | null)[] | null;

  @Column({ name: 'body_digests', type: 'text', array: true, nullable: true })
  bodyDigests: (string | null)[] | null;

  @Column({ name: 'request_bodies', type: 'text', array: true, nullable: true })
  requestBodies: (string | null)[] | null;

  @Column({ name: 'response_bodies', type: 'text', array: true, nullable: true })
  responseBodies: (string | null)[] | null;
}

/** One logged request, as an investigation reads it. */
export interface ApiRequestLog {
  requestId: string;
  teamId: string;
  apiKeyId: string;
  model: string;
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  requestBytes: number | null;
  responseBytes: number | null;
  bodyDigest: string | null;
  requestBody: string | null;
  responseBody: string | null;
  occurredAt: Date;
  recordedAt: Date;
}
