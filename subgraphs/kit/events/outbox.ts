import type { EntityManager } from 'typeorm';
import { queryPrepared } from '../transaction';
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
    const aggregateLocks = [...new Set(envelopes.map((e) => `outbox:${this.schema}:${e.aggregateId}`))].sort();
    // One round trip: first a transaction lock per aggregate, in sorted order (so writers never
    // deadlock), which serializes writers of one aggregate until commit, so outbox order is commit
    // order per aggregate; the one-time filter takes the locks before any row is inserted. Then the
    // rows, in order; then the relay's wake-up, delivered at commit.
    const [{ inserted }] = await queryPrepared<{ inserted: number }>(
      manager,
      `outbox.enqueue:${this.schema}`,
      `WITH locks AS MATERIALIZED (
         SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest($2::text[]) WITH ORDINALITY AS l(k, n) ORDER BY n
       ), inserted AS (
         INSERT INTO "${this.schema}".outbox (event_id, type, aggregate_id, envelope)
         SELECT (e->>'id')::uuid, e->>'type', e->>'aggregateId', e
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n)
         WHERE (SELECT count(*) FROM locks) >= 0
         ORDER BY n
         RETURNING 1
       )
       SELECT pg_notify($3, ''), n AS inserted FROM (SELECT count(*)::int AS n FROM inserted) AS done`,
      [JSON.stringify(envelopes), aggregateLocks, outboxChannel(this.schema)],
    );
    if (inserted !== envelopes.length) throw new Error(`Outbox wrote ${inserted} of ${envelopes.length} events`);
    return envelopes;
  }
}
