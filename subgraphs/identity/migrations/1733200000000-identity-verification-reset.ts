import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each account's email was verified, mailed password-reset links, and the single-use tokens
 * that let a user who proved themselves to X or Google restore their deleted account.
 */
export class IdentityVerificationReset1733200000000 implements MigrationInterface {
  name = 'IdentityVerificationReset1733200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE identity.users ADD COLUMN email_verified_at timestamptz`);
    // Before this, every address an account held had been treated as verified (teams already acted on it).
    await q.query(`UPDATE identity.users SET email_verified_at = created_at WHERE email <> ''`);
    await q.query(`CREATE TABLE identity.password_resets (
      token_hash bytea PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES identity.users(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    )`);
    await q.query(`CREATE INDEX password_resets_user_idx ON identity.password_resets (user_id) WHERE used_at IS NULL`);
    await q.query(`CREATE TABLE identity.restore_tokens (
      token_hash bytea PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES identity.users(id) ON DELETE CASCADE,
      expires_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE identity.restore_tokens, identity.password_resets');
    await q.query('ALTER TABLE identity.users DROP COLUMN email_verified_at');
  }
}
