import { Client, Pool } from 'pg';
import type { Logger } from '../logger';
import type { BatchDeliveryHandler, Delivery, DeliveryHandler, EventBus, Subscription, SubscriptionFilter } from './bus';
import type { DomainEvent } from './event';
import { sleep, Wakeup } from './wakeup';

const SCHEMA = 'eventbus';
const CHANNEL = 'eventbus_events';

/** A publication's notification names its event types, so groups that handle none of them sleep on; empty (any type) if too long for NOTIFY. */
function typesPayload(events: readonly DomainEvent[]): string {
  const types = [...new Set(events.map((e) => e.type))].join(',');
  return types.length <= 4000 ? types : '';
}

export interface PostgresBusOptions {
  batchSize?: number;
  pollMs?: number;
  /** Delay before redelivering an event whose handler threw. */
  redeliveryDelayMs?: number;
}

/** How long a bus waits before connecting its listener again after losing it; its groups poll meanwhile. */
const RELISTEN_MS = 500;

/**
 * A durable, totally ordered event log in PostgreSQL with one offset per consumer group.
 * Appends take a short global lock so sequence numbers become visible in order: a consumer
 * that reads past an offset can never skip a row committed later with a smaller number.
 * One member of each consumer group is active at a time (an advisory lock); the rest stand by.
 * A bus LISTENs on one connection and wakes its groups itself: every listening connection is a
 * server process that each publication's commit wakes, so one per process rather than one per group.
 */
export class PostgresEventBus implements EventBus {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;
  private readonly subscriptions = new Set<PostgresSubscription>();
  private ready?: Promise<void>;
  /** The listener being connected or connected; unset once lost, until it is connected again. */
  private listenerReady?: Promise<void>;
  private listener?: Client;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly options: PostgresBusOptions = {},
  ) {
    this.pool = new Pool({ connectionString: url, max: 4, application_name: 'eventbus' });
    this.pool.on('error', (err) => logger.warn({ err }, 'eventbus pool error'));
  }

  /** Creates the log tables once; safe to call from every process. */
  ensureSchema(): Promise<void> {
    this.ready ??= (async () => {
      const client = await this.pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock(hashtext($1))', ['eventbus:schema']);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${SCHEMA}.events (
          seq bigserial PRIMARY KEY,
          event_id uuid NOT NULL UNIQUE,
          type text NOT NULL,
          aggregate_id text NOT NULL,
          envelope jsonb NOT NULL,
          published_at timestamptz NOT NULL DEFAULT now()
        )`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${SCHEMA}.consumer_offsets (
          consumer text PRIMARY KEY,
          position bigint NOT NULL DEFAULT 0,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`);
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['eventbus:schema']).catch(() => undefined);
        client.release();
      }
    })();
    return this.ready;
  }

  async publish(events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.ensureSchema();
    // One statement, so one round trip and its own transaction: the append lock (held to commit)
    // is taken by the one-time filter before any sequence number is drawn; a redelivered event
    // (same id) is ignored, so publishing is idempotent; the notification is sent at commit.
    await this.pool.query(
      `WITH append AS MATERIALIZED (
         SELECT pg_advisory_xact_lock(hashtext('eventbus:append'))
       ), inserted AS (
         INSERT INTO ${SCHEMA}.events (event_id, type, aggregate_id, envelope)
         SELECT (e->>'id')::uuid, e->>'type', e->>'aggregateId', e
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n)
         WHERE (SELECT count(*) FROM append) >= 0
         ORDER BY n
         ON CONFLICT (event_id) DO NOTHING
         RETURNING 1
       )
       SELECT pg_notify($2, $3) FROM (SELECT count(*) FROM inserted) AS done`,
      [JSON.stringify(events), CHANNEL, typesPayload(events)],
    );
  }

  async prune(olderThanMs: number): Promise<void> {
    await this.ensureSchema();
    await this.pool.query(
      `DELETE FROM ${SCHEMA}.events
       WHERE published_at < now() - make_interval(secs => $1)
         AND seq <= (SELECT coalesce(min(position), 0) FROM ${SCHEMA}.consumer_offsets)`,
      [olderThanMs / 1000],
    );
  }

  subscribe(group: string, handler: DeliveryHandler, filter: SubscriptionFilter = {}): Promise<Subscription> {
    return this.start(group, { one: handler }, filter);
  }

  subscribeBatches(group: string, handler: BatchDeliveryHandler, filter: SubscriptionFilter = {}): Promise<Subscription> {
    return this.start(group, { many: handler }, filter);
  }

  private async start(group: string, handler: Handler, filter: SubscriptionFilter): Promise<Subscription> {
    await this.ensureSchema();
    // Listening before the group's first read: a publication committed after that read wakes it.
    await this.listen();
    await this.pool.query(`INSERT INTO ${SCHEMA}.consumer_offsets (consumer) VALUES ($1) ON CONFLICT DO NOTHING`, [group]);
    const sub = new PostgresSubscription(this.url, this.pool, group, handler, filter, this.logger, this.options, () =>
      this.subscriptions.delete(sub),
    );
    this.subscriptions.add(sub);
    sub.start();
    return sub;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.listener?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  private listen(): Promise<void> {
    this.listenerReady ??= this.connectListener().catch((err) => {
      this.listenerReady = undefined;
      throw err;
    });
    return this.listenerReady;
  }

  private async connectListener(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: 'eventbus:listen' });
    client.on('notification', ({ payload }) => {
      for (const sub of this.subscriptions) sub.notified(payload);
    });
    // Until LISTEN succeeds a failure is the caller's to handle (a rejected listen); after, it is lost and listened again.
    let listening = false;
    let lost = false;
    const onLost = (err?: Error) => {
      if (!listening || lost) return;
      lost = true;
      if (this.listener === client) this.listener = undefined;
      this.listenerReady = undefined;
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.logger.warn({ err }, 'event bus listener lost; listening again');
      this.relisten();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end();
      return;
    }
    listening = true;
    this.listener = client;
  }

  /** Listens again, then wakes every group: what was published while nobody listened is read at once. */
  private relisten(): void {
    setTimeout(() => {
      if (this.closed) return;
      this.listen().then(
        () => {
          for (const sub of this.subscriptions) sub.notified('');
        },
        (err) => {
          this.logger.warn({ err }, 'event bus listener could not connect; trying again');
          this.relisten();
        },
      );
    }, RELISTEN_MS).unref();
  }
}

type Handler = { one: DeliveryHandler } | { many: BatchDeliveryHandler };

class PostgresSubscription implements Subscription {
  private running = true;
  private loop?: Promise<void>;
  private connection?: Client;
  private readonly wakeup = new Wakeup();
  private readonly attempts = new Map<string, number>();
  /** Whether this member holds its group's lock, so a publication of a type it handles should wake it. */
  private active = false;

  constructor(
    private readonly url: string,
    private readonly pool: Pool,
    private readonly group: string,
    private readonly handler: Handler,
    private readonly filter: SubscriptionFilter,
    private readonly logger: Logger,
    private readonly options: PostgresBusOptions,
    private readonly onStop: () => void,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.consume();
      } catch (err) {
        if (this.running) this.logger.error({ err, consumer: this.group }, 'event consumer failed; restarting');
      } finally {
        await this.connection?.end().catch(() => undefined);
        this.connection = undefined;
      }
      if (this.running) await sleep(this.options.redeliveryDelayMs ?? 500);
    }
  }

  /** A publication of these types (comma-separated; empty: any type) was committed. Only types this group handles wake it; it moves past the others on its next read. */
  notified(types: string | undefined): void {
    if (this.active && (!types || types.split(',').some((t) => this.wants(t)))) this.wakeup.wake();
  }

  private async consume(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: `consumer:${this.group}` });
    this.connection = client;
    client.on('error', (err) => this.logger.warn({ err }, 'consumer connection error'));
    await client.connect();
    // This connection writes only the group's offset. An offset lost with the last moments of a
    // database crash means those events are delivered again, which consumers take (an inbox, or
    // idempotent handlers): so its commits need not wait for the WAL flush, which every metering
    // commit would otherwise share with one offset write per group per read.
    await client.query('SET synchronous_commit = off');
    while (this.running) {
      const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [`consumer:${this.group}`]);
      if (rows[0].ok) break;
      await this.wakeup.wait(2000);
    }
    if (!this.running) return;
    this.active = true;
    try {
      const batchSize = this.options.batchSize ?? 200;
      while (this.running) {
        // A short batch read everything there was; a notification that came meanwhile ends the wait at once.
        const read = await this.consumeBatch(client, batchSize);
        if (read < batchSize) await this.wakeup.wait(this.options.pollMs ?? 1000);
      }
    } finally {
      this.active = false;
    }
  }

  private async consumeBatch(client: Client, batchSize: number): Promise<number> {
    // Events of other types are passed over without reading their envelopes (large ones live
    // out of line). The offset moves once per batch: past what was handled and passed over, or,
    // when a handler throws, up to the event before it (a batch handler: before the batch),
    // which is delivered again.
    const { types, exceptTypes } = this.filter;
    const { rows } = await client.query<{ seq: string; envelope: DomainEvent | null }>(
      `SELECT e.seq, CASE WHEN ($3::text[] IS NULL OR e.type = ANY($3::text[])) AND NOT e.type = ANY($4::text[]) THEN e.envelope END AS envelope
       FROM ${SCHEMA}.events e
       WHERE e.seq > (SELECT position FROM ${SCHEMA}.consumer_offsets WHERE consumer = $1)
       ORDER BY e.seq LIMIT $2`,
      [this.group, batchSize, types ? [...types] : null, [...(exceptTypes ?? [])]],
    );
    let done: string | undefined;
    try {
      if ('many' in this.handler) {
        const deliveries = rows.flatMap((row) => (row.envelope ? [this.delivery(row.envelope)] : []));
        if (deliveries.length) await this.handler.many(deliveries);
        for (const d of deliveries) this.attempts.delete(d.event.id);
        done = rows.at(-1)?.seq;
      } else {
        for (const row of rows) {
          if (!this.running) break;
          if (row.envelope) {
            await this.handler.one(this.delivery(row.envelope));
            this.attempts.delete(row.envelope.id);
          }
          done = row.seq;
        }
      }
    } finally {
      if (done) await this.advance(client, done);
    }
    return this.running ? rows.length : 0;
  }

  private wants(type: string): boolean {
    const { types, exceptTypes } = this.filter;
    return (!types || types.includes(type)) && !exceptTypes?.includes(type);
  }

  private delivery(event: DomainEvent): Delivery {
    const attempt = (this.attempts.get(event.id) ?? 0) + 1;
    this.attempts.set(event.id, attempt);
    return { event, attempt };
  }

  private async advance(client: Client, seq: string): Promise<void> {
    await client.query(`UPDATE ${SCHEMA}.consumer_offsets SET position = $2, updated_at = now() WHERE consumer = $1`, [this.group, seq]);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeup.wake();
    await this.loop;
    this.onStop();
  }
}
