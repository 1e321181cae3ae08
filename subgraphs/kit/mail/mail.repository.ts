import { randomUUID } from 'node:crypto';
import type { Tx, UnitOfWork } from '../transaction';

export interface OutgoingEmail {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  createdAt: Date;
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

/** Mail written in the same transaction as its cause, so it is sent if and only if that commits. */
export class MailRepository {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly schema: string,
  ) {}

  async enqueue(tx: Tx, mails: Omit<OutgoingEmail, 'id' | 'createdAt'>[]): Promise<void> {
    if (mails.length === 0) return;
    await tx.query(
      `INSERT INTO "${this.schema}".outgoing_emails (id, recipient, subject, body)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])`,
      [mails.map(() => randomUUID()), mails.map((m) => m.recipient), mails.map((m) => m.subject), mails.map((m) => m.body)],
    );
  }

  /** Claims a batch of unsent mail; a claimed row is invisible to other senders until commit. */
  async sendPending(send: (mail: OutgoingEmail) => Promise<void>, limit = 50): Promise<number> {
    return this.uow.run(async (tx) => {
      const rows: { id: string; recipient: string; subject: string; body: string; created_at: Date }[] = await tx.query(
        `SELECT id, recipient, subject, body, created_at FROM "${this.schema}".outgoing_emails WHERE sent_at IS NULL
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      for (const r of rows) {
        await send({ id: r.id, recipient: r.recipient, subject: r.subject, body: r.body, createdAt: r.created_at });
        await tx.query(`UPDATE "${this.schema}".outgoing_emails SET sent_at = now() WHERE id = $1`, [r.id]);
      }
      return rows.length;
    });
  }
}
