import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outgoingEmailsDdl } from '../../kit/mail/mail.repository';

/** Account deletion with a restore window, Identity's mail outbox, and pending email changes. */
export class IdentityAccountLifecycle1733000000001 implements MigrationInterface {
  name = 'IdentityAccountLifecycle1733000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE identity.users ADD COLUMN deleted_at timestamptz`);
    await q.query(`CREATE INDEX users_deleted_idx ON identity.users (deleted_at) WHERE deleted_at IS NOT NULL`);
    await q.query(outgoingEmailsDdl('identity'));
    await q.query(`CREATE TABLE identity.email_changes (
      user_id uuid PRIMARY KEY REFERENCES identity.users(id) ON DELETE CASCADE,
      new_email text NOT NULL,
      code_hash bytea NOT NULL,
      expires_at timestamptz NOT NULL,
      attempts int NOT NULL DEFAULT 0
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE identity.email_changes, identity.outgoing_emails');
    await q.query('ALTER TABLE identity.users DROP COLUMN deleted_at');
  }
}
