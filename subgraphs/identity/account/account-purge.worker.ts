import type { Logger } from '../../kit/logger';
import type { Worker } from '../../kit/subgraph';
import type { AccountService } from './account.service';

/** Runs the purge of expired deletions on an interval (and once at start-up). */
export class AccountPurgeWorker implements Worker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly accounts: AccountService,
    private readonly logger: Logger,
    private readonly everyMs: number,
  ) {}

  start(): void {
    const tick = () => {
      this.running ??= this.accounts
        .purgeExpired()
        .catch((err) => this.logger.warn({ err }, 'account purge failed; will retry'))
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
