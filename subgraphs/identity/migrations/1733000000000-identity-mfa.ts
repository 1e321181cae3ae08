import type { MigrationInterface, QueryRunner } from 'typeorm';

/** TOTP factors (secrets encrypted), hashed recovery codes, and pending MFA challenges of sign-ins. */
export class IdentityMfa1733000000000 implements MigrationInterface {
  name = 'IdentityMfa1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE identity.mfa_totp (
      user_id uuid PRIMARY KEY REFERENCES identity.users(id) ON DELETE CASCADE,
      secret_ciphertext bytea NOT NULL,
      confirmed_at timestamptz,
      last_used_step bigint,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE identity.mfa_recovery_codes (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES identity.users(id) ON DELETE CASCADE,
      code_hash bytea NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX mfa_recovery_codes_user_idx ON identity.mfa_recovery_codes (user_id)`);
    await q.query(`CREATE TABLE identity.mfa_challenges (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES identity.users(id) ON DELETE CASCADE,
      purpose text NOT NULL CHECK (purpose IN ('sign-in', 'restore')),
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      attempts int NOT NULL DEFAULT 0,
      completed_at timestamptz
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE identity.mfa_challenges, identity.mfa_recovery_codes, identity.mfa_totp');
  }
}
