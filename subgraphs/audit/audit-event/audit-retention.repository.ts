import type { DataSource } from 'typeorm';
import { AUDIT_RETENTION_ROLE } from '../../kit/config';
import type { UnitOfWork } from '../../kit/transaction';

/**
 * What retention reads and deletes, through its own connection as the `audit_retention` role:
 * the only role the audit trigger lets delete, and only events past the period in
 * `audit.retention_policy`. The period itself is written through the application's connection
 * (the table's owner), which the retention role cannot do.
 */
export class AuditRetentionRepository {
  private ready?: Promise<DataSource>;

  constructor(
    private readonly app: UnitOfWork,
    private readonly retention: DataSource,
  ) {}

  /** Connected on first use: a subgraph that never runs retention never opens it. */
  private connection(): Promise<DataSource> {
    this.ready ??= (this.retention.isInitialized ? Promise.resolve(this.retention) : this.retention.initialize()).catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  async close(): Promise<void> {
    await this.ready?.catch(() => undefined);
    if (this.retention.isInitialized) await this.retention.destroy();
  }

  /** The period the trigger enforces, from the application's configuration. */
  async setPeriod(keepDays: number): Promise<void> {
    await this.app.run((tx) => tx.query('UPDATE audit.retention_policy SET keep_days = $1 WHERE keep_days <> $1', [keepDays]));
  }

  /** Chains whose oldest kept event occurred before the cutoff. */
  async chainsWithEventsBefore(cutoff: Date): Promise<string[]> {
    const db = await this.connection();
    const rows: { chain_id: string }[] = await db.query(
      `SELECT c.chain_id FROM audit.audit_chains c
       WHERE EXISTS (SELECT 1 FROM audit.audit_events e WHERE e.chain_id = c.chain_id AND e.position = c.pruned_position + 1 AND e.occurred_at < $1)`,
      [cutoff],
    );
    return rows.map((r) => r.chain_id);
  }

  /**
   * Deletes up to `batch` of a chain's oldest events, stopping before the first event that
   * occurred at or after the cutoff, so what is deleted is always a prefix of the chain. Records
   * where the chain now starts, so verification still checks the first kept event's link.
   * Returns how many were deleted.
   */
  async pruneChain(chainId: string, cutoff: Date, batch: number): Promise<number> {
    const db = await this.connection();
    return db.transaction(async (tx) => {
      // A login role that is a member of audit_retention acts as it; the trigger checks current_user.
      await tx.query(`SET LOCAL ROLE ${AUDIT_RETENTION_ROLE}`);
      const [chain]: { head_position: string; pruned_position: string }[] = await tx.query(
        'SELECT head_position, pruned_position FROM audit.audit_chains WHERE chain_id = $1 FOR UPDATE',
        [chainId],
      );
      if (!chain) return 0;
      const [firstKept]: { position: string }[] = await tx.query(
        `SELECT position FROM audit.audit_events WHERE chain_id = $1 AND position > $2 AND occurred_at >= $3 ORDER BY position LIMIT 1`,
        [chainId, chain.pruned_position, cutoff],
      );
      const limit = firstKept ? BigInt(firstKept.position) - 1n : BigInt(chain.head_position);
      const through = [limit, BigInt(chain.pruned_position) + BigInt(batch)].reduce((a, b) => (a < b ? a : b));
      if (through <= BigInt(chain.pruned_position)) return 0;
      const [last]: { hash: Buffer }[] = await tx.query('SELECT hash FROM audit.audit_events WHERE chain_id = $1 AND position = $2', [chainId, through.toString()]);
      if (!last) throw new Error(`audit chain ${chainId} has no event at position ${through}: verify it before pruning`);
      const deleted: [unknown[], number] = await tx.query('DELETE FROM audit.audit_events WHERE chain_id = $1 AND position > $2 AND position <= $3', [
        chainId,
        chain.pruned_position,
        through.toString(),
      ]);
      await tx.query('UPDATE audit.audit_chains SET pruned_position = $2, pruned_hash = $3 WHERE chain_id = $1', [chainId, through.toString(), last.hash]);
      return deleted[1];
    });
  }
}
