import type { AuditRetentionRepository } from './audit-retention.repository';

export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionResult {
  cutoff: Date;
  deleted: number;
  chains: number;
}

/**
 * Deletes audit events older than the retention period, as the retention role (the only one the
 * database lets delete them, and only past the period recorded here first). Safe to run twice, or
 * on two replicas at once: each chain is pruned under its head's row lock, only ever a prefix of
 * the chain, and a second run finds nothing left to delete.
 */
export class AuditRetentionService {
  constructor(
    private readonly events: AuditRetentionRepository,
    private readonly retentionDays: number = DEFAULT_AUDIT_RETENTION_DAYS,
    private readonly now: () => Date = () => new Date(),
    private readonly batch = 10_000,
  ) {}

  async run(): Promise<RetentionResult> {
    const cutoff = new Date(this.now().getTime() - this.retentionDays * DAY_MS);
    await this.events.setPeriod(this.retentionDays);
    const chains = await this.events.chainsWithEventsBefore(cutoff);
    let deleted = 0;
    for (const chainId of chains) {
      for (;;) {
        const n = await this.events.pruneChain(chainId, cutoff, this.batch);
        deleted += n;
        if (n < this.batch) break;
      }
    }
    return { cutoff, deleted, chains: chains.length };
  }

  /** Closes the retention role's connection. */
  close(): Promise<void> {
    return this.events.close();
  }
}
