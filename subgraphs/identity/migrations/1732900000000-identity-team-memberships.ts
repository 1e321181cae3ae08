import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Identity's own copy of who is in which team, kept from Team's events, to decide who may see an email. */
export class IdentityTeamMemberships1732900000000 implements MigrationInterface {
  name = 'IdentityTeamMemberships1732900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE identity.team_memberships (
      team_id uuid NOT NULL,
      user_id uuid NOT NULL,
      PRIMARY KEY (user_id, team_id)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE identity.team_memberships');
  }
}
