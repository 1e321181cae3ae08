import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outgoingEmailsRetriesDdl } from '../../kit/mail/mail.repository';

/** Per-mail retries in Team's mail outbox: a failed send waits its backoff and holds up no other mail. */
export class TeamMailRetries1733500000000 implements MigrationInterface {
  name = 'TeamMailRetries1733500000000';

  async up(q: QueryRunner): Promise<void> {
    for (const statement of outgoingEmailsRetriesDdl('team')) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX team.outgoing_emails_due_idx');
    await q.query('ALTER TABLE team.outgoing_emails DROP COLUMN last_error, DROP COLUMN next_attempt_at, DROP COLUMN attempts');
  }
}
