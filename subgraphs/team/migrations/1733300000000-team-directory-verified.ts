import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether each address in Team's directory is verified, and when Identity set it. Only verified
 * addresses can be added to teams or receive team mail; the time keeps a late, older event from
 * overwriting a newer address.
 */
export class TeamDirectoryVerified1733300000000 implements MigrationInterface {
  name = 'TeamDirectoryVerified1733300000000';

  async up(q: QueryRunner): Promise<void> {
    // Identity's own migration marked every address it held verified; the directory follows it.
    await q.query(`ALTER TABLE team.user_directory ADD COLUMN email_verified boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE team.user_directory ALTER COLUMN email_verified DROP DEFAULT`);
    await q.query(`ALTER TABLE team.user_directory ADD COLUMN email_as_of timestamptz`);
    await q.query(`UPDATE team.user_directory SET email_as_of = created_at`);
    await q.query(`ALTER TABLE team.user_directory ALTER COLUMN email_as_of SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE team.user_directory DROP COLUMN email_as_of, DROP COLUMN email_verified`);
  }
}
