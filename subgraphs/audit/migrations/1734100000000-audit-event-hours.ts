import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A coarse time index of each chain: for every UTC hour in which its events occurred, the first and
 * last chain positions of those events.
 *
 * A date-range search walks the chain by position (the order pages and cursors follow) and needs
 * the positions the range can span. Reading them exactly from the events costs a scan of every event
 * in the range (a year of events for a 365-day search); summing the hours the range touches costs at
 * most 24 rows a day and gives positions that are never narrower than the exact ones, widened only
 * by the events of the hours at the range's two ends. The events' own `occurred_at` filter keeps the answer exact.
 *
 * Kept by a statement trigger on insert, so every way of writing events (one append, a bulk load)
 * keeps it whole. Rows are never changed or deleted by events being pruned: an hour whose events are
 * gone only bounds positions that no longer exist.
 */
export class AuditEventHours1734100000000 implements MigrationInterface {
  name = 'AuditEventHours1734100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit.audit_event_hours (
      chain_id uuid NOT NULL,
      hour timestamptz NOT NULL,
      first_position bigint NOT NULL,
      last_position bigint NOT NULL,
      PRIMARY KEY (chain_id, hour)
    )`);
    // date_bin with a UTC origin: the same hours whatever the session's time zone.
    await q.query(`CREATE FUNCTION audit.event_hour(at timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
      RETURN date_bin('1 hour', at, timestamptz '2000-01-01 00:00:00+00')`);
    await q.query(`CREATE FUNCTION audit.track_event_hours() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO audit.audit_event_hours AS h (chain_id, hour, first_position, last_position)
        SELECT chain_id, audit.event_hour(occurred_at), min(position), max(position) FROM inserted_events GROUP BY 1, 2
        ON CONFLICT (chain_id, hour) DO UPDATE
          SET first_position = least(h.first_position, excluded.first_position), last_position = greatest(h.last_position, excluded.last_position);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER audit_events_hours AFTER INSERT ON audit.audit_events
      REFERENCING NEW TABLE AS inserted_events FOR EACH STATEMENT EXECUTE FUNCTION audit.track_event_hours()`);
    await q.query(`INSERT INTO audit.audit_event_hours (chain_id, hour, first_position, last_position)
      SELECT chain_id, audit.event_hour(occurred_at), min(position), max(position) FROM audit.audit_events GROUP BY 1, 2`);
    // The time index only served the exact bounds. Left in place, the planner (taking time and
    // position as independent) reads a whole bounded range through it and sorts it, instead of
    // walking positions down and stopping after a page.
    await q.query('DROP INDEX audit.audit_events_chain_time_idx');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX audit_events_chain_time_idx ON audit.audit_events (chain_id, occurred_at, position)');
    await q.query('DROP TRIGGER audit_events_hours ON audit.audit_events');
    await q.query('DROP FUNCTION audit.track_event_hours()');
    await q.query('DROP FUNCTION audit.event_hour(timestamptz)');
    await q.query('DROP TABLE audit.audit_event_hours');
  }
}
