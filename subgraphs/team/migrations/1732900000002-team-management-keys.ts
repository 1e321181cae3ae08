import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TeamManagementKeys1732900000002 implements MigrationInterface {
  name = 'TeamManagementKeys1732900000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE team.management_keys (
      id uuid PRIMARY KEY,
      team_id uuid NOT NULL REFERENCES team.teams(id),
      name text NOT NULL,
      secret_hash bytea NOT NULL UNIQUE,
      redacted_key text NOT NULL,
      scopes text[] NOT NULL,
      created_by uuid NOT NULL,
      created_at timestamptz NOT NULL,
      revoked_at timestamptz
    )`);
    await q.query(`CREATE INDEX management_keys_team_idx ON team.management_keys (team_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE team.management_keys');
  }
}
