import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TeamMembersDomains1732900000000 implements MigrationInterface {
  name = 'TeamMembersDomains1732900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE team.teams ADD COLUMN deleted_at timestamptz`);
    // Who has an account with which email, kept from Identity's sign-up events.
    await q.query(`CREATE TABLE team.user_directory (
      user_id uuid PRIMARY KEY,
      email text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX user_directory_email_idx ON team.user_directory (lower(email))`);
    await q.query(`CREATE TABLE team.invitations (
      id uuid PRIMARY KEY,
      team_id uuid NOT NULL REFERENCES team.teams(id) ON DELETE CASCADE,
      email text NOT NULL,
      role text NOT NULL CHECK (role IN ('ADMIN', 'MEMBER')),
      invited_by uuid NOT NULL,
      status text NOT NULL CHECK (status IN ('PENDING', 'ACCEPTED', 'CANCELLED')),
      created_at timestamptz NOT NULL,
      accepted_by uuid
    )`);
    await q.query(`CREATE UNIQUE INDEX invitations_pending_uidx ON team.invitations (team_id, lower(email)) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX invitations_email_idx ON team.invitations (lower(email)) WHERE status = 'PENDING'`);
    await q.query(`CREATE TABLE team.domains (
      id uuid PRIMARY KEY,
      team_id uuid NOT NULL REFERENCES team.teams(id) ON DELETE CASCADE,
      domain text NOT NULL,
      token text NOT NULL,
      status text NOT NULL CHECK (status IN ('PENDING', 'VERIFIED')),
      join_policy text NOT NULL CHECK (join_policy IN ('AUTO', 'ASK')),
      created_at timestamptz NOT NULL,
      verified_at timestamptz,
      checked_at timestamptz,
      UNIQUE (team_id, domain)
    )`);
    // A domain is verified for at most one team at a time.
    await q.query(`CREATE UNIQUE INDEX domains_verified_uidx ON team.domains (domain) WHERE status = 'VERIFIED'`);
    await q.query(`CREATE TABLE team.join_requests (
      id uuid PRIMARY KEY,
      team_id uuid NOT NULL REFERENCES team.teams(id) ON DELETE CASCADE,
      user_id uuid NOT NULL,
      email text NOT NULL,
      status text NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REFUSED')),
      created_at timestamptz NOT NULL,
      decided_by uuid,
      decided_at timestamptz
    )`);
    await q.query(`CREATE UNIQUE INDEX join_requests_pending_uidx ON team.join_requests (team_id, user_id) WHERE status = 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE team.join_requests, team.domains, team.invitations, team.user_directory');
    await q.query('ALTER TABLE team.teams DROP COLUMN deleted_at');
  }
}
