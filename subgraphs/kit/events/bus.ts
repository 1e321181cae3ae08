import type { DomainEvent } from './event';

export interface Delivery {
  event: DomainEvent;
  /** How many times this consumer group has been handed this event, starting at 1. */
  attempt: number;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

/** Takes several deliveries, in order, at once; returning acknowledges all of them, throwing none. */
export type BatchDeliveryHandler = (deliveries: Delivery[]) => Promise<void>;

/** What a consumer group wants; a bus may use it to skip reading the rest (others deliver everything). */
export interface SubscriptionFilter {
  /** Only events of these types; absent: every event. */
  types?: readonly string[];
  /** No events of these types (for a group that takes every type but a few). */
  exceptTypes?: readonly string[];
}

export interface Subscription {
  stop(): Promise<void>;
}

/**
 * The event backbone. `publish` returns only once the bus holds the events durably.
 * `subscribe` delivers every event at least once to one member of the named consumer group,
 * in publication order per aggregate; the handler acknowledges by returning.
 */
export interface EventBus {
  readonly kind: 'postgres' | 'nats';
  publish(events: DomainEvent[]): Promise<void>;
  subscribe(group: string, handler: DeliveryHandler, filter?: SubscriptionFilter): Promise<Subscription>;
  /** Like `subscribe`, handing over what has accumulated at once (where the bus reads in batches). */
  subscribeBatches?(group: string, handler: BatchDeliveryHandler, filter?: SubscriptionFilter): Promise<Subscription>;
  /** Forgets events older than this that every consumer group has passed (where the bus keeps them itself). */
  prune?(olderThanMs: number): Promise<void>;
  close(): Promise<void>;
}
