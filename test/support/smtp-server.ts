import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as the SMTP server received it: what the user would read. */
export interface ReceivedMail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  from: string;
  subject: string;
  /** The plain-text body, decoded. */
  body: string;
  messageId: string;
  receivedAt: Date;
}

/** A real SMTP server on loopback that keeps what it receives, for tests and `npm start`. */
export interface Mailbox {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  url: string;
  /** Every message accepted, in the order received. */
  readonly messages: ReceivedMail[];
  /** Messages accepted for this recipient, oldest first. */
  to(recipient: string): ReceivedMail[];
  /** Answers the first message matching `match` with a temporary failure (451), once. */
  refuseOnce(match: (mail: ReceivedMail) => boolean): void;
  close(): Promise<void>;
}

export async function startMailbox(options: { onMail?: (mail: ReceivedMail) => void } = {}): Promise<Mailbox> {
  const messages: ReceivedMail[] = [];
  const refusals: ((mail: ReceivedMail) => boolean)[] = [];
  const server = new SMTPServer({
    // Loopback only: no TLS, no authentication.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const mail: ReceivedMail = {
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            subject: parsed.subject ?? '',
            body: (parsed.text ?? '').replace(/\n$/, ''),
            messageId: parsed.messageId ?? '',
            receivedAt: new Date(),
          };
          const refusal = refusals.findIndex((match) => match(mail));
          if (refusal >= 0) {
            refusals.splice(refusal, 1);
            return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
          }
          messages.push(mail);
          options.onMail?.(mail);
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    to: (recipient) => messages.filter((m) => m.to.includes(recipient.toLowerCase())),
    refuseOnce: (match) => void refusals.push(match),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
