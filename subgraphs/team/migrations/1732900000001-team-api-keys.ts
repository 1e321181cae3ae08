import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TeamApiKeys1732900000001 implements MigrationInterface {
  name = 'TeamApiKeys1732900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE team.api_keys (
      id uuid PRIMARY KEY,
      team_id uuid NOT NULL REFERENCES team.teams(id),
      created_by uuid NOT NULL,
      name text NOT NULL,
      secret_hash bytea NOT NULL UNIQUE,
      redacted_key text NOT NULL,
      acls text[] NOT NULL,
      qps int CHECK (qps > 0),
      qpm int CHECK (qpm > 0),
      tpm bigint CHECK (tpm > 0),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      expires_at timestamptz,
      disabled_at timestamptz,
      leaked_at timestamptz,
      deleted_at timestamptz,
      last_used_at timestamptz,
      rotated_to uuid
    )`);
    await q.query(`CREATE INDEX api_keys_team_idx ON team.api_keys (team_id, created_at) WHERE deleted_at IS NULL`);
    // Mail to send, written with the change that causes it and delivered by a worker.
    await q.query(`CREATE TABLE team.outgoing_emails (
      id uuid PRIMARY KEY,
      recipient text NOT NULL,
      subject text NOT NULL,
      body text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE team.outgoing_emails, team.api_keys');
  }
}
