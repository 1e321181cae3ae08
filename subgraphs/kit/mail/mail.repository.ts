import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Tx, UnitOfWork } from '../transaction';

export interface OutgoingEmail {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  createdAt: Date;
  /** Failed attempts so far. */
  attempts: number;
}

/** DDL for a subgraph's mail outbox. */
export const outgoingEmailsDdl = (schema: string) => `CREATE TABLE "${schema}".outgoing_emails (
  id uuid PRIMARY KEY,
  recipient text NOT NULL,
  subject text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
)`;

/**
 * DDL for per-mail retries (added after the outbox first shipped; migrations depend on it, so it
 * never changes): failed attempts, when the mail is due again, and why the last attempt failed.
 */
export const outgoingEmailsRetriesDdl = (schema: string) => [
  `ALTER TABLE "${schema}".outgoing_emails
     ADD COLUMN attempts int NOT NULL DEFAULT 0,
     ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
     ADD COLUMN last_error text`,
  `CREATE INDEX outgoing_emails_due_idx ON "${schema}".outgoing_emails (next_attempt_at) WHERE sent_at IS NULL`,
];

/** Mail written in the same transaction as its cause, so it is sent if and only if that commits. */
export class MailRepository {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly schema: string,
  ) {}

  async enqueue(tx: Tx, mails: Omit<OutgoingEmail, 'id' | 'createdAt' | 'attempts'>[]): Promise<void> {
    if (mails.length === 0) return;
    await tx.query(
      `INSERT INTO "${this.schema}".outgoing_emails (id, recipient, subject, body)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])`,
      [mails.map(() => randomUUID()), mails.map((m) => m.recipient), mails.map((m) => m.subject), mails.map((m) => m.body)],
    );
    // Delivered on commit: wakes the senders at once instead of at their next poll.
    await tx.query('SELECT pg_notify($1, $2)', [mailChannel(this.schema), '']);
  }

  /**
   * Calls `onMail` whenever new mail commits to this outbox, on a connection of its own.
   * Resolves to a function that stops listening.
   */
  async listen(databaseUrl: string, onMail: () => void, onError: (err: Error) => void): Promise<() => Promise<void>> {
    const client = new Client({ connectionString: databaseUrl, application_name: `mail:${this.schema}` });
    client.on('error', onError);
    client.on('notification', () => onMail());
    await client.connect();
    try {
      await client.query(`LISTEN "${mailChannel(this.schema)}"`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return () => client.end().catch(() => undefined);
  }

  /**
   * Sends due mail one at a time. Each mail is claimed (FOR UPDATE SKIP LOCKED, so two replicas
   * never send the same one), sent and marked sent in its own transaction: a later failure cannot
   * roll back the mark of a mail already delivered. A failed send stays pending, due again after a
   * backoff, and does not hold up the mails behind it.
   */
  async sendPending(send: (mail: OutgoingEmail) => Promise<void>, limit = 50): Promise<{ sent: number; failed: number }> {
    let sent = 0;
    let failed = 0;
    // Polled often: an idle outbox costs one index read, no transaction and no row lock.
    const due: unknown[] = await this.uow.reader.query(`SELECT 1 FROM "${this.schema}".outgoing_emails WHERE sent_at IS NULL AND next_attempt_at <= now() LIMIT 1`);
    if (!due.length) return { sent, failed };
    while (sent + failed < limit) {
      const outcome = await this.uow.run(async (tx) => {
        const rows: { id: string; recipient: string; subject: string; body: string; created_at: Date; attempts: number }[] = await tx.query(
          `SELECT id, recipient, subject, body, created_at, attempts FROM "${this.schema}".outgoing_emails
           WHERE sent_at IS NULL AND next_attempt_at <= now()
           ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        );
        if (!rows.length) return 'none' as const;
        const r = rows[0];
        try {
          await send({ id: r.id, recipient: r.recipient, subject: r.subject, body: r.body, createdAt: r.created_at, attempts: r.attempts });
        } catch (err) {
          // Counted from now, not from the transaction's start: the failed send may have taken a while.
          await tx.query(
            `UPDATE "${this.schema}".outgoing_emails
             SET attempts = attempts + 1, next_attempt_at = clock_timestamp() + $2 * interval '1 millisecond', last_error = $3 WHERE id = $1`,
            [r.id, mailRetryDelayMs(r.attempts + 1), String((err as Error)?.message ?? err).slice(0, 1000)],
          );
          return 'failed' as const;
        }
        await tx.query(`UPDATE "${this.schema}".outgoing_emails SET sent_at = now() WHERE id = $1`, [r.id]);
        return 'sent' as const;
      });
      if (outcome === 'none') break;
      if (outcome === 'sent') sent++;
      else failed++;
    }
    return { sent, failed };
  }
}

/** Wait before the next attempt after `attempts` failures: 1 s, doubling, at most 15 minutes. */
export function mailRetryDelayMs(attempts: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempts - 1), 15 * 60_000);
}

/** The NOTIFY channel a subgraph's mail outbox announces new mail on. */
export const mailChannel = (schema: string) => `${schema}_mail`;

