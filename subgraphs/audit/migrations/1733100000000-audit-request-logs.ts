import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API request logs from the usage path, kept 30 days (by `recorded_at`). */
export class AuditRequestLogs1733100000000 implements MigrationInterface {
  name = 'AuditRequestLogs1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit.api_request_logs (
      request_id text PRIMARY KEY,
      team_id uuid NOT NULL,
      api_key_id text NOT NULL,
      model text NOT NULL,
      prompt_tokens int NOT NULL,
      cached_prompt_tokens int NOT NULL,
      completion_tokens int NOT NULL,
      request_bytes int,
      response_bytes int,
      body_digest text,
      request_body text,
      response_body text,
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query('CREATE INDEX api_request_logs_recorded_at_idx ON audit.api_request_logs (recorded_at)');
    await q.query('CREATE INDEX api_request_logs_team_idx ON audit.api_request_logs (team_id, occurred_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit.api_request_logs');
  }
}
