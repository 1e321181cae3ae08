import { createTransport } from 'nodemailer';
import type { OutgoingEmail } from './mail.repository';

export interface MailTransport {
  send(mail: OutgoingEmail): Promise<void>;
  close(): void;
}

/** The domain of the From address (`Name <a@b>` or `a@b`), for Message-IDs. */
export function mailDomain(from: string): string {
  return /@([^\s>]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
}

/**
 * A Message-ID fixed by the outbox row: a mail sent again after a crash between delivery and its
 * mark carries the same id, so the receiving side can drop the duplicate.
 */
export function messageIdOf(mailId: string, from: string): string {
  return `<${mailId}@${mailDomain(from)}>`;
}

/** SMTP through nodemailer: one pooled connection (mail leaves one at a time), bounded waits. */
export function smtpTransport(smtpUrl: string, from: string): MailTransport {
  const transporter = createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: 1,
    // A hung server must not hold the claimed row (and its transaction) for long.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    send: async (mail) => {
      await transporter.sendMail({
        from,
        to: mail.recipient,
        subject: mail.subject,
        text: mail.body,
        messageId: messageIdOf(mail.id, from),
        date: mail.createdAt,
      });
    },
    close: () => transporter.close(),
  };
}
