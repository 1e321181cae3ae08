import { Client, type Pool } from 'pg';
import type { Logger } from '../logger';
import type { EventBus } from './bus';
import type { DomainEvent } from './event';
import { outboxChannel } from './outbox';
import { sleep, Wakeup } from './wakeup';

export interface RelayOptions {
  batchSize?: number;
  pollMs?: number;
  /** How long published outbox rows (and bus log entries every consumer has passed) are kept. */
  retentionMs?: number;
  pruneEveryMs?: number;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Moves committed outbox rows to the bus, in outbox order, and marks them published only
 * after the bus has them. One relay per subgraph is active at a time (an advisory lock);
 * other replicas stand by. Woken by NOTIFY on commit, with polling as a fallback.
 */
export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private listener?: Client;
  private readonly wakeup = new Wakeup();
  private lastPrune = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly options: RelayOptions = {},
  ) {}

  private get batchSize(): number {
    return this.options.batchSize ?? 500;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.lead();
      } catch (err) {
        if (this.running) this.logger.error({ err }, 'outbox relay failed; restarting');
      } finally {
        await this.listener?.end().catch(() => undefined);
        this.listener = undefined;
      }
      if (this.running) await sleep(500);
    }
  }

  private async lead(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: `relay:${this.schema}` });
    this.listener = client;
    client.on('error', (err) => this.logger.warn({ err }, 'relay listener connection error'));
    client.on('notification', () => this.wakeup.wake());
    await client.connect();
    while (this.running) {
      const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [`relay:${this.schema}`]);
      if (rows[0].ok) break;
      await this.wakeup.wait(2000);
    }
    if (!this.running) return;
    await client.query(`LISTEN "${outboxChannel(this.schema)}"`);
    while (this.running) {
      const moved = await this.drainOnce();
      if (Date.now() - this.lastPrune > (this.options.pruneEveryMs ?? 10 * 60_000)) await this.prune();
      // A short batch moved everything committed before it was read; a commit since has notified, which ends the wait at once.
      if (moved < this.batchSize) await this.wakeup.wait(this.options.pollMs ?? 1000);
    }
  }

  /** Drops what is no longer needed: published outbox rows past retention, and old bus log entries. */
  async prune(): Promise<number> {
    this.lastPrune = Date.now();
    const retentionMs = this.options.retentionMs ?? 7 * DAY_MS;
    const result = await this.pool.query(`DELETE FROM "${this.schema}".outbox WHERE published_at < now() - make_interval(secs => $1)`, [retentionMs / 1000]);
    await this.bus.prune?.(retentionMs);
    return result.rowCount ?? 0;
  }

  /** Publishes one batch; returns how many events moved. */
  async drainOnce(): Promise<number> {
    const { rows } = await this.pool.query<{ seq: string; envelope: DomainEvent }>(
      `SELECT seq, envelope FROM "${this.schema}".outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
      [this.batchSize],
    );
    if (rows.length === 0) return 0;
    await this.bus.publish(rows.map((r) => r.envelope));
    // The mark commits without waiting for the WAL flush: lost with the last moments of a database
    // crash, it only has these events published again, which the bus and every inbox drop by id.
    await this.pool.query(
      `WITH relaxed AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
       UPDATE "${this.schema}".outbox SET published_at = now() WHERE seq = ANY($1::bigint[]) AND (SELECT count(*) FROM relaxed) >= 0`,
      [rows.map((r) => r.seq)],
    );
    return rows.length;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeup.wake();
    await this.listener?.end().catch(() => undefined);
    await this.loop;
  }
}
