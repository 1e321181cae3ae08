import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in methods as their own records (every password account gets its EMAIL_PASSWORD method),
 * the X subscription status of users who linked X, and the pending OpenID Connect sign-ins.
 */
export class IdentitySignInMethods1733100000000 implements MigrationInterface {
  name = 'IdentitySignInMethods1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE identity.sign_in_methods (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES identity.users(id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('EMAIL_PASSWORD', 'X', 'GOOGLE')),
      subject text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (user_id, kind),
      CHECK ((kind = 'EMAIL_PASSWORD') = (subject IS NULL))
    )`);
    // One account per provider identity.
    await q.query(`CREATE UNIQUE INDEX sign_in_methods_subject_uidx ON identity.sign_in_methods (kind, subject) WHERE subject IS NOT NULL`);
    await q.query(`INSERT INTO identity.sign_in_methods (id, user_id, kind, created_at)
      SELECT gen_random_uuid(), id, 'EMAIL_PASSWORD', created_at FROM identity.users WHERE password_hash IS NOT NULL`);
    await q.query(`ALTER TABLE identity.users ADD COLUMN x_subscription text`);
    await q.query(`CREATE INDEX users_email_idx ON identity.users (lower(email))`);
    await q.query(`CREATE TABLE identity.oauth_states (
      state_hash bytea PRIMARY KEY,
      provider text NOT NULL,
      code_verifier_ciphertext bytea NOT NULL,
      nonce text NOT NULL,
      link_user_id uuid REFERENCES identity.users(id) ON DELETE CASCADE,
      separate_account boolean NOT NULL DEFAULT false,
      expires_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE identity.oauth_states, identity.sign_in_methods');
    await q.query('DROP INDEX identity.users_email_idx');
    await q.query('ALTER TABLE identity.users DROP COLUMN x_subscription');
  }
}
