import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../logger';
import type { EventBus, Subscription } from './bus';
import type { DomainEvent } from './event';
import { sleep } from './wakeup';

/** A reaction to domain events, applied in the consuming subgraph's own transaction. */
export interface EventConsumer {
  /** The consumer group name; every replica of a subgraph shares it. */
  readonly name: string;
  /** The only event types `handles` can accept, when it is a fixed set: the bus may skip reading the rest. */
  readonly types?: readonly string[];
  /** Event types `handles` never accepts, for a consumer of every other type: the bus may skip reading them. */
  readonly exceptTypes?: readonly string[];
  handles(event: DomainEvent): boolean;
  apply(event: DomainEvent, manager: EntityManager): Promise<void>;
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 5000 };

export interface DeadLetter {
  id: string;
  consumer: string;
  eventId: string;
  envelope: DomainEvent;
  error: string;
  attempts: number;
  failedAt: Date;
}

/**
 * Runs a subgraph's consumers: each event is applied at most once per consumer (its id is
 * recorded in the same transaction as the effect), retried with exponential backoff, and
 * parked as a dead letter when it keeps failing, so one bad event cannot stop the stream.
 * Where the bus reads in batches, the events read together are applied in one transaction.
 */
export class ConsumerRunner {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly retry: RetryPolicy = defaultRetryPolicy,
  ) {}

  async start(consumers: EventConsumer[]): Promise<void> {
    for (const consumer of consumers) {
      const filter = { types: consumer.types, exceptTypes: consumer.exceptTypes };
      this.subscriptions.push(
        this.bus.subscribeBatches
          ? await this.bus.subscribeBatches(consumer.name, (deliveries) => this.deliverAll(consumer, deliveries.map((d) => d.event)), filter)
          : await this.bus.subscribe(consumer.name, ({ event }) => this.deliver(consumer, event), filter),
      );
    }
  }

  /** Applies the event once; returns false when it had already been applied. */
  async applyOnce(consumer: EventConsumer, event: DomainEvent): Promise<boolean> {
    return (await this.applyAllOnce(consumer, [event])) === 1;
  }

  /**
   * Applies what accumulated in one transaction (one commit, not one per event). When that fails,
   * the events are applied one at a time, so a bad one is retried and parked alone.
   */
  private async deliverAll(consumer: EventConsumer, events: DomainEvent[]): Promise<void> {
    const handled = events.filter((e) => consumer.handles(e));
    if (handled.length > 1) {
      try {
        await this.applyAllOnce(consumer, handled);
        return;
      } catch (err) {
        this.logger.warn({ err, consumer: consumer.name, events: handled.length }, 'batch of events failed; applying them one at a time');
      }
    }
    for (const event of handled) await this.deliver(consumer, event);
  }

  /** Applies each event not applied before, in order, in one transaction; returns how many were applied. */
  async applyAllOnce(consumer: EventConsumer, events: DomainEvent[]): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const inserted: { event_id: string }[] = await manager.query(
        `INSERT INTO "${this.schema}".processed_events (consumer, event_id) SELECT $1, unnest($2::uuid[])
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [consumer.name, events.map((e) => e.id)],
      );
      const fresh = new Set(inserted.map((r) => r.event_id));
      let applied = 0;
      for (const event of events) {
        // Deleted once applied: an event delivered twice in one batch is applied once.
        if (!fresh.delete(event.id.toLowerCase())) continue;
        await consumer.apply(event, manager);
        applied++;
      }
      return applied;
    });
  }

  private async deliver(consumer: EventConsumer, event: DomainEvent): Promise<void> {
    if (!consumer.handles(event)) return;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      try {
        await this.applyOnce(consumer, event);
        return;
      } catch (err) {
        lastError = err;
        this.logger.warn({ err, consumer: consumer.name, eventId: event.id, attempt }, 'event handler failed');
        if (attempt < this.retry.maxAttempts) {
          await sleep(Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1)));
        }
      }
    }
    // If the database itself is down this throws too, and the bus redelivers later.
    await this.dataSource.query(
      `INSERT INTO "${this.schema}".dead_letters (consumer, event_id, envelope, error, attempts)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (consumer, event_id) DO UPDATE SET error = EXCLUDED.error, attempts = "${this.schema}".dead_letters.attempts + EXCLUDED.attempts, failed_at = now()`,
      [consumer.name, event.id, JSON.stringify(event), String((lastError as Error)?.message ?? lastError), this.retry.maxAttempts],
    );
    this.logger.error({ consumer: consumer.name, eventId: event.id }, 'event parked as a dead letter');
  }

  async listDeadLetters(): Promise<DeadLetter[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT id, consumer, event_id, envelope, error, attempts, failed_at FROM "${this.schema}".dead_letters ORDER BY id`,
    );
    return rows.map((r) => ({
      id: String(r.id),
      consumer: r.consumer as string,
      eventId: r.event_id as string,
      envelope: r.envelope as DomainEvent,
      error: r.error as string,
      attempts: r.attempts as number,
      failedAt: r.failed_at as Date,
    }));
  }

  /** Applies a parked event again; removes it from the dead letters when that succeeds. */
  async replayDeadLetter(id: string, consumers: EventConsumer[]): Promise<void> {
    const letter = (await this.listDeadLetters()).find((l) => l.id === id);
    if (!letter) throw new Error(`No dead letter ${id}`);
    const consumer = consumers.find((c) => c.name === letter.consumer);
    if (!consumer) throw new Error(`No consumer named ${letter.consumer}`);
    await this.applyOnce(consumer, letter.envelope);
    await this.dataSource.query(`DELETE FROM "${this.schema}".dead_letters WHERE id = $1`, [id]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.subscriptions.splice(0).map((s) => s.stop()));
  }
}
