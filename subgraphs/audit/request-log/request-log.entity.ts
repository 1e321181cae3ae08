import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One API request billed through the usage path, kept 30 days for abuse audits. */
@Entity({ name: 'api_request_logs' })
export class ApiRequestLogEntity {
  @PrimaryColumn({ name: 'request_id', type: 'text' })
  requestId: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId: string;

  @Column({ name: 'api_key_id', type: 'text' })
  apiKeyId: string;

  @Column({ type: 'text' })
  model: string;

  @Column({ name: 'prompt_tokens', type: 'int' })
  promptTokens: number;

  @Column({ name: 'cached_prompt_tokens', type: 'int' })
  cachedPromptTokens: number;

  @Column({ name: 'completion_tokens', type: 'int' })
  completionTokens: number;

  @Column({ name: 'request_bytes', type: 'int', nullable: true })
  requestBytes: number | null;

  @Column({ name: 'response_bytes', type: 'int', nullable: true })
  responseBytes: number | null;

  @Column({ name: 'body_digest', type: 'text', nullable: true })
  bodyDigest: string | null;

  @Column({ name: 'request_body', type: 'text', nullable: true })
  requestBody: string | null;

  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody: string | null;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  /** When Audit wrote the row: retention counts 30 days from here. */
  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt: Date;
}
