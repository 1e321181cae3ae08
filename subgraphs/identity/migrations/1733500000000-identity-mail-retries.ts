import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outgoingEmailsRetriesDdl } from '../../kit/mail/mail.repository';

/** Per-mail retries in Identity's mail outbox: a failed send waits its backoff and holds up no other mail. */
export class IdentityMailRetries1733500000000 implements MigrationInterface {
  name = 'IdentityMailRetries1733500000000';

  async up(q: QueryRunner): Promise<void> {
    for (const statement of outgoingEmailsRetriesDdl('identity')) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX identity.outgoing_emails_due_idx');
    await q.query('ALTER TABLE identity.outgoing_emails DROP COLUMN last_error, DROP COLUMN next_attempt_at, DROP COLUMN attempts');
  }
}
