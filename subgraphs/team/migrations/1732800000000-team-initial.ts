import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventTablesDdl } from '../../kit/events';

export class TeamInitial1732800000000 implements MigrationInterface {
  name = 'TeamInitial1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE team.teams (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      description text,
      is_personal boolean NOT NULL,
      created_by uuid NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE TABLE team.memberships (
      team_id uuid NOT NULL REFERENCES team.teams(id) ON DELETE CASCADE,
      user_id uuid NOT NULL,
      role text NOT NULL CHECK (role IN ('ADMIN', 'MEMBER')),
      created_at timestamptz NOT NULL,
      PRIMARY KEY (team_id, user_id)
    )`);
    await q.query(`CREATE INDEX memberships_user_idx ON team.memberships (user_id)`);
    for (const ddl of eventTablesDdl('team')) await q.query(ddl);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE team.dead_letters, team.processed_events, team.outbox, team.memberships, team.teams');
  }
}
