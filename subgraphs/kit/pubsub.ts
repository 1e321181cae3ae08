import { Client } from 'pg';
import { AsyncQueue } from './async-queue';
import type { Logger } from './logger';

/** Live-update fan-out between replicas of one subgraph. */
export interface LivePubSub {
  publish(topic: string, payload: unknown): Promise<void>;
  subscribe<T>(topic: string): AsyncIterableIterator<T>;
  close(): Promise<void>;
}

/** Messages as `pg_notify(channel, payload)` arguments, one payload per message. */
export interface LiveNotices {
  channel: string;
  payloads: string[];
}

/**
 * PostgreSQL LISTEN/NOTIFY fan-out: every replica listening on the channel receives every
 * notification, so a subscriber on any replica sees a change made on any other. NOTIFY is
 * transactional, so `publishIn` inside a transaction publishes only if it commits.
 */
export class PostgresPubSub implements LivePubSub {
  private client?: Client;
  private readonly topics = new Map<string, Set<AsyncQueue<unknown>>>();
  private connecting?: Promise<void>;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    if (!this.connecting) this.connecting = this.connect();
    await this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: `live:${this.channel}` });
    client.on('notification', (msg) => {
      if (!msg.payload) return;
      try {
        const { topic, payload } = JSON.parse(msg.payload) as { topic: string; payload: unknown };
        for (const q of this.topics.get(topic) ?? []) q.push(payload);
      } catch (err) {
        this.logger.warn({ err }, 'malformed live notification');
      }
    });
    client.on('error', (err) => {
      this.logger.error({ err }, 'live pubsub connection lost; reconnecting');
      this.client = undefined;
      this.connecting = undefined;
      if (!this.closed) setTimeout(() => void this.start().catch(() => undefined), 500).unref();
    });
    await client.connect();
    await client.query(`LISTEN "${this.channel}"`);
    this.client = client;
  }

  /** The SQL and parameters that publish a message; run it inside a transaction to publish on commit. */
  notifyStatement(topic: string, payload: unknown): [string, unknown[]] {
    return this.notifyAllStatement([{ topic, payload }]);
  }

  /** One statement for many messages, in order: one round trip however many topics a transaction touched. */
  notifyAllStatement(messages: readonly { topic: string; payload: unknown }[]): [string, unknown[]] {
    const { channel, payloads } = this.notices(messages);
    return ['SELECT pg_notify($1, m) FROM unnest($2::text[]) WITH ORDINALITY AS t(m, n) ORDER BY n', [channel, payloads]];
  }

  /** The `pg_notify` arguments that publish these messages, for a statement that publishes them along with its own writes. */
  notices(messages: readonly { topic: string; payload: unknown }[]): LiveNotices {
    return { channel: this.channel, payloads: messages.map((m) => JSON.stringify(m)) };
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    await this.start();
    const [sql, params] = this.notifyStatement(topic, payload);
    await this.client!.query(sql, params);
  }

  subscribe<T>(topic: string): AsyncIterableIterator<T> {
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    const queue: AsyncQueue<unknown> = new AsyncQueue(() => {
      set!.delete(queue);
      if (set!.size === 0) this.topics.delete(topic);
    });
    set.add(queue);
    return queue as AsyncQueue<T>;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.topics.values()) for (const q of set) q.close();
    await this.client?.end().catch(() => undefined);
  }
}
