import type { MailConfig } from '../config';
import type { Logger } from '../logger';
import type { MailRepository } from './mail.repository';
import { smtpTransport, type MailTransport } from './smtp-transport';

/** Delivers queued mail: over SMTP when configured, otherwise to the log. */
export class MailSender {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;
  private readonly transport: MailTransport;

  constructor(
    private readonly mail: MailRepository,
    private readonly logger: Logger,
    private readonly config: MailConfig = { from: 'Console <no-reply@console.localhost>', pollMs: 1000 },
  ) {
    this.transport = config.smtpUrl
      ? smtpTransport(config.smtpUrl, config.from)
      : {
          send: async (m) => logger.info({ to: m.recipient, subject: m.subject, mailId: m.id }, 'email'),
          close: () => undefined,
        };
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.deliver()
        .catch((err) => this.logger.warn({ err }, 'mail delivery failed; will retry'))
        .finally(() => (this.running = undefined));
    }, this.config.pollMs);
    this.timer.unref();
  }

  /** Sends everything due, batch after batch, until the outbox has nothing due. */
  private async deliver(): Promise<void> {
    const limit = 50;
    while (!this.stopped) {
      const { sent, failed } = await this.mail.sendPending((m) => this.send(m), limit);
      if (sent + failed < limit) return;
    }
  }

  private async send(mail: Parameters<MailTransport['send']>[0]): Promise<void> {
    try {
      await this.transport.send(mail);
    } catch (err) {
      this.logger.warn({ err, mailId: mail.id, attempts: mail.attempts + 1 }, 'mail not accepted; will retry');
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    this.transport.close();
  }
}
