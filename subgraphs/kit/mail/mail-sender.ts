import type { MailConfig } from '../config';
import { Wakeup } from '../events/wakeup';
import type { Logger } from '../logger';
import type { MailRepository, OutgoingEmail } from './mail.repository';
import { smtpTransport, type MailTransport } from './smtp-transport';

/**
 * Delivers queued mail: over SMTP when configured, otherwise to the log. Woken by NOTIFY when
 * mail commits (given the database URL to listen on), with polling as the fallback and for retries.
 */
export class MailSender {
  private loop?: Promise<void>;
  private stopped = false;
  private readonly wakeup = new Wakeup();
  private unlisten?: Promise<(() => Promise<void>) | undefined>;
  private readonly transport: MailTransport;

  constructor(
    private readonly mail: MailRepository,
    private readonly logger: Logger,
    private readonly config: MailConfig = { from: 'Console <no-reply@console.localhost>', pollMs: 1000 },
    private readonly databaseUrl?: string,
  ) {
    this.transport = config.smtpUrl
      ? smtpTransport(config.smtpUrl, config.from)
      : {
          send: async (m) => logger.info({ to: m.recipient, subject: m.subject, mailId: m.id }, 'email'),
          close: () => undefined,
        };
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.unlisten && this.databaseUrl) this.unlisten = this.listen(this.databaseUrl);
      try {
        await this.deliver();
      } catch (err) {
        this.logger.warn({ err }, 'mail delivery failed; will retry');
      }
      await this.wakeup.wait(this.config.pollMs);
    }
  }

  /** A lost listener is reopened on the next round; until then polling carries on. */
  private async listen(databaseUrl: string): Promise<(() => Promise<void>) | undefined> {
    const lost = (err: Error) => {
      this.logger.warn({ err }, 'mail listener lost; polling until it is back');
      const closing = this.unlisten;
      this.unlisten = undefined;
      void closing?.then((close) => close?.());
    };
    try {
      return await this.mail.listen(databaseUrl, () => this.wakeup.wake(), lost);
    } catch (err) {
      lost(err as Error);
      return undefined;
    }
  }

  /** Sends everything due, batch after batch, until the outbox has nothing due. */
  private async deliver(): Promise<void> {
    const limit = 50;
    while (!this.stopped) {
      const { sent, failed } = await this.mail.sendPending((m) => this.send(m), limit);
      if (sent + failed < limit) return;
    }
  }

  private async send(mail: OutgoingEmail): Promise<void> {
    try {
      await this.transport.send(mail);
    } catch (err) {
      this.logger.warn({ err, mailId: mail.id, attempts: mail.attempts + 1 }, 'mail not accepted; will retry');
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeup.wake();
    await this.loop;
    const close = await this.unlisten;
    this.unlisten = undefined;
    await close?.();
    this.transport.close();
  }
}
