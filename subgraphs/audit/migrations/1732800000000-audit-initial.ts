import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventTablesDdl } from '../../kit/events';

export class AuditInitial1732800000000 implements MigrationInterface {
  name = 'AuditInitial1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit.audit_events (
      seq bigserial PRIMARY KEY,
      event_id uuid NOT NULL UNIQUE,
      team_id uuid,
      occurred_at timestamptz NOT NULL,
      description text NOT NULL,
      event_type text NOT NULL,
      actor_user_id uuid,
      actor_api_key_id uuid,
      actor_ip text,
      actor_user_agent text,
      outcome text NOT NULL,
      payload jsonb NOT NULL
    )`);
    await q.query(`CREATE INDEX audit_events_team_seq_idx ON audit.audit_events (team_id, seq DESC)`);
    await q.query(`CREATE INDEX audit_events_team_user_idx ON audit.audit_events (team_id, actor_user_id, seq DESC)`);
    for (const ddl of eventTablesDdl('audit')) await q.query(ddl);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit.dead_letters, audit.processed_events, audit.outbox, audit.audit_events');
  }
}
