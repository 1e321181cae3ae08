import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../logger';
import type { DeliveryHandler, EventBus, Subscription } from './bus';
import type { DomainEvent } from './event';
import { sleep } from './wakeup';

const STREAM = 'CONSOLE_EVENTS';
const SUBJECT_PREFIX = 'console.events';
const nanos = (ms: number) => ms * 1_000_000;

export interface NatsBusOptions {
  stream?: string;
  /** Window in which JetStream drops a republished event id as a duplicate. */
  duplicateWindowMs?: number;
  ackWaitMs?: number;
  maxAgeMs?: number;
}

/**
 * NATS JetStream: a file-backed stream, publishes de-duplicated by event id, and one durable
 * pull consumer per consumer group shared by all of the group's replicas. One unacknowledged
 * message per group at a time keeps delivery in stream order while replicas share the work.
 */
export class NatsEventBus implements EventBus {
  readonly kind = 'nats' as const;
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private jsm?: JetStreamManager;
  private ready?: Promise<void>;
  private readonly subscriptions = new Set<NatsSubscription>();
  private readonly stream: string;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly options: NatsBusOptions = {},
  ) {
    this.stream = options.stream ?? STREAM;
  }

  /** Each stream owns its own subject space (streams may not overlap). */
  private get subjectPrefix(): string {
    return this.stream === STREAM ? SUBJECT_PREFIX : `${SUBJECT_PREFIX}.${this.stream.toLowerCase()}`;
  }

  private connect(): Promise<void> {
    this.ready ??= (async () => {
      this.nc = await connect({ servers: this.url, name: 'console-graph', maxReconnectAttempts: -1 });
      this.jsm = await jetstreamManager(this.nc);
      this.js = jetstream(this.nc);
      const config = {
        name: this.stream,
        subjects: [`${this.subjectPrefix}.>`],
        duplicate_window: nanos(this.options.duplicateWindowMs ?? 10 * 60_000),
        // JetStream drops messages older than this by itself.
        max_age: nanos(this.options.maxAgeMs ?? 7 * 24 * 3600 * 1000),
      };
      try {
        await this.jsm.streams.info(this.stream);
        await this.jsm.streams.update(this.stream, config);
      } catch {
        await this.jsm.streams.add(config);
      }
    })();
    return this.ready;
  }

  async publish(events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.connect();
    // Published in order and awaited together: each ack means the stream stored the message.
    const acks = events.map((event) =>
      this.js!.publish(`${this.subjectPrefix}.${event.type}`, JSON.stringify(event), { msgID: event.id }),
    );
    await Promise.all(acks);
  }

  async subscribe(group: string, handler: DeliveryHandler): Promise<Subscription> {
    await this.connect();
    const durable = group.replace(/[^A-Za-z0-9_-]/g, '_');
    try {
      await this.jsm!.consumers.info(this.stream, durable);
    } catch {
      await this.jsm!.consumers.add(this.stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: 1,
        ack_wait: nanos(this.options.ackWaitMs ?? 30_000),
      });
    }
    const sub = new NatsSubscription(this.js!, this.stream, durable, handler, this.logger, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    await sub.start();
    return sub;
  }

  /** Removes the stream and everything in it (for throwaway environments). */
  async deleteStream(): Promise<void> {
    await this.connect();
    await this.jsm!.streams.delete(this.stream).catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.nc?.drain().catch(() => undefined);
  }
}

class NatsSubscription implements Subscription {
  private running = true;
  private loop?: Promise<void>;
  private messages?: { stop(): void; close(): Promise<void | Error> };

  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly durable: string,
    private readonly handler: DeliveryHandler,
    private readonly logger: Logger,
    private readonly onStop: () => void,
  ) {}

  async start(): Promise<void> {
    const consumer = await this.js.consumers.get(this.stream, this.durable);
    const messages = await consumer.consume({ max_messages: 1 });
    this.messages = messages;
    this.loop = (async () => {
      for await (const msg of messages) {
        const event = msg.json<DomainEvent>();
        try {
          await this.handler({ event, attempt: msg.info.deliveryCount });
          msg.ack();
        } catch (err) {
          this.logger.warn({ err, eventId: event.id }, 'event handler failed; redelivering');
          msg.nak(1000);
          await sleep(100);
        }
        if (!this.running) break;
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.messages?.stop();
    await this.loop?.catch(() => undefined);
    this.onStop();
  }
}
