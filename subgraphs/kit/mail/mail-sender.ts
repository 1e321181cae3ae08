import type { Logger } from '../logger';
import type { MailRepository, OutgoingEmail } from './mail.repository';

/** Delivers queued mail. Without a mail transport configured, mail is written to the log. */
export class MailSender {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly mail: MailRepository,
    private readonly logger: Logger,
    private readonly transport: (mail: OutgoingEmail) => Promise<void> = async (m) => {
      logger.info({ to: m.recipient, subject: m.subject, mailId: m.id }, 'email');
    },
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.mail
        .sendPending(this.transport)
        .catch((err) => this.logger.warn({ err }, 'mail delivery failed; will retry'))
        .finally(() => (this.running = undefined));
    }, this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
