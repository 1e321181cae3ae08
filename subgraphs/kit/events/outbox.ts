import type { EntityManager } from 'typeorm';
import { createEvent, type DomainEvent, type NewEvent } from './event';

export const outboxChannel = (schema: string) => `${schema}_outbox`;

/** DDL for the event tables every subgraph owns; run by each subgraph's first events migration. */
export function eventTablesDdl(schema: string): string[] {
  return [
    `CREATE TABLE "${schema}".outbox (
      seq bigserial PRIMARY KEY,
      event_id uuid NOT NULL UNIQUE,
      type text NOT NULL,
      aggregate_id text NOT NULL,
      envelope jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    )`,
    `CREATE INDEX outbox_unpublished_idx ON "${schema}".outbox (seq) WHERE published_at IS NULL`,
    `CREATE TABLE "${schema}".processed_events (
      consumer text NOT NULL,
      event_id uuid NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, event_id)
    )`,
    `CREATE TABLE "${schema}".dead_letters (
      id bigserial PRIMARY KEY,
      consumer text NOT NULL,
      event_id uuid NOT NULL,
      envelope jsonb NOT NULL,
      error text NOT NULL,
      attempts int NOT NULL,
      failed_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (consumer, event_id)
    )`,
  ];
}

/**
 * Writes events into the subgraph's outbox inside the caller's transaction, so an event exists
 * if and only if the change that caused it committed.
 */
export class Outbox {
  constructor(
    private readonly schema: string,
    private readonly source: string,
  ) {}

  async enqueue(manager: EntityManager, ...events: NewEvent<object>[]): Promise<DomainEvent<object>[]> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('Outbox.enqueue must run inside a transaction');
    }
    const envelopes = events.map((e) => createEvent(this.source, e));
    for (const aggregateId of [...new Set(envelopes.map((e) => e.aggregateId))].sort()) {
      // Serializes writers of one aggregate until commit, so outbox order is commit order per aggregate.
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`outbox:${this.schema}:${aggregateId}`]);
    }
    await manager.query(
      `INSERT INTO "${this.schema}".outbox (event_id, type, aggregate_id, envelope)
       SELECT (e->>'id')::uuid, e->>'type', e->>'aggregateId', e
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n`,
      [JSON.stringify(envelopes)],
    );
    await manager.query('SELECT pg_notify($1, $2)', [outboxChannel(this.schema), '']);
    return envelopes;
  }
}
