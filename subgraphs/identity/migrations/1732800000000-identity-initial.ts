import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventTablesDdl } from '../../kit/events';

export class IdentityInitial1732800000000 implements MigrationInterface {
  name = 'IdentityInitial1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE identity.users (
      id uuid PRIMARY KEY,
      email text NOT NULL,
      password_hash text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    // One password account per email; other sign-in methods may share the email.
    await q.query(`CREATE UNIQUE INDEX users_password_email_uidx ON identity.users (lower(email)) WHERE password_hash IS NOT NULL`);
    await q.query(`CREATE TABLE identity.sessions (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES identity.users(id) ON DELETE CASCADE,
      token_hash bytea NOT NULL UNIQUE,
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      ip text,
      user_agent text
    )`);
    await q.query(`CREATE INDEX sessions_user_idx ON identity.sessions (user_id) WHERE revoked_at IS NULL`);
    for (const ddl of eventTablesDdl('identity')) await q.query(ddl);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE identity.dead_letters, identity.processed_events, identity.outbox, identity.sessions, identity.users');
  }
}
