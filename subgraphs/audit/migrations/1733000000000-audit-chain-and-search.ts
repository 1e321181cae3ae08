import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Search indexes, the per-team hash chain and immutable audit rows.
 *
 * - `chain_id` is the team, or the nil UUID for events that belong to no team (sign-ups); each
 *   chain numbers its events 1, 2, 3, ... (`position`) and links them by hash. Positions are
 *   assigned under a row lock on the chain's head, so they are gapless and commit in order:
 *   cursors and the live stream are built on them.
 * - `audit.entry_hash` is the one definition of an event's hash; inserts and verification both
 *   call it, so they cannot disagree.
 * - Rows cannot be updated, and deleted only by the retention job (which sets
 *   `audit.retention = on` in its own transaction). This stops every application code path and
 *   any injected DML; it is not a privilege boundary against someone who can run DDL as the
 *   table's owner (they can drop the trigger), which is what the hash chain is for.
 */
export class AuditChainAndSearch1733000000000 implements MigrationInterface {
  name = 'AuditChainAndSearch1733000000000';

  async up(q: QueryRunner): Promise<void> {
    // pg_trgm is a trusted extension: the database owner or a role with CREATE on the database
    // may install it. It may already exist in another schema; use it wherever it is.
    await q.query('CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA audit');
    const [{ schema }] = await q.query(
      `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
    );

    await q.query(`CREATE FUNCTION audit.entry_hash(
        prev bytea, event_id uuid, team_id uuid, pos bigint, occurred_at timestamptz, description text, event_type text,
        actor_user_id uuid, actor_api_key_id uuid, actor_ip text, actor_user_agent text, outcome text, payload jsonb)
      RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE
      RETURN sha256(prev || convert_to(jsonb_build_array(
        event_id, team_id, pos, (extract(epoch FROM occurred_at) * 1000000)::bigint, description, event_type,
        actor_user_id, actor_api_key_id, actor_ip, actor_user_agent, outcome, payload)::text, 'UTF8'))`);

    await q.query(`ALTER TABLE audit.audit_events
      ADD COLUMN chain_id uuid GENERATED ALWAYS AS (coalesce(team_id, '00000000-0000-0000-0000-000000000000'::uuid)) STORED,
      ADD COLUMN position bigint,
      ADD COLUMN prev_hash bytea,
      ADD COLUMN hash bytea`);
    await q.query(`CREATE TABLE audit.audit_chains (
      chain_id uuid PRIMARY KEY,
      head_position bigint NOT NULL DEFAULT 0,
      head_hash bytea NOT NULL,
      -- Events up to pruned_position were deleted by retention; pruned_hash is the last one's hash.
      pruned_position bigint NOT NULL DEFAULT 0,
      pruned_hash bytea NOT NULL
    )`);

    // Chain the events recorded before this migration, in the order they were recorded.
    await q.query(`DO $$
      DECLARE r record; prev bytea; pos bigint; h bytea; genesis bytea := decode(repeat('00', 32), 'hex');
      BEGIN
        FOR r IN SELECT * FROM audit.audit_events ORDER BY chain_id, seq LOOP
          SELECT head_position, head_hash INTO pos, prev FROM audit.audit_chains WHERE chain_id = r.chain_id;
          IF NOT FOUND THEN
            INSERT INTO audit.audit_chains (chain_id, head_hash, pruned_hash) VALUES (r.chain_id, genesis, genesis);
            pos := 0; prev := genesis;
          END IF;
          h := audit.entry_hash(prev, r.event_id, r.team_id, pos + 1, r.occurred_at, r.description, r.event_type,
                 r.actor_user_id, r.actor_api_key_id, r.actor_ip, r.actor_user_agent, r.outcome, r.payload);
          UPDATE audit.audit_events SET position = pos + 1, prev_hash = prev, hash = h WHERE seq = r.seq;
          UPDATE audit.audit_chains SET head_position = pos + 1, head_hash = h WHERE chain_id = r.chain_id;
        END LOOP;
      END $$`);
    await q.query(`ALTER TABLE audit.audit_events
      ALTER COLUMN position SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL`);

    await q.query('DROP INDEX audit.audit_events_team_seq_idx');
    await q.query('DROP INDEX audit.audit_events_team_user_idx');
    await q.query('CREATE UNIQUE INDEX audit_events_chain_position_idx ON audit.audit_events (chain_id, position)');
    await q.query('CREATE INDEX audit_events_chain_user_idx ON audit.audit_events (chain_id, actor_user_id, position)');
    // With position: a date range's first and last positions come from an index-only scan (see the repository).
    await q.query('CREATE INDEX audit_events_chain_time_idx ON audit.audit_events (chain_id, occurred_at, position)');
    await q.query(`CREATE INDEX audit_events_description_trgm_idx ON audit.audit_events USING gin (description "${schema}".gin_trgm_ops)`);

    await q.query(`CREATE FUNCTION audit.reject_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('audit.retention', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit events cannot be changed or deleted (%)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER audit_events_immutable BEFORE UPDATE OR DELETE ON audit.audit_events
      FOR EACH ROW EXECUTE FUNCTION audit.reject_audit_change()`);
    await q.query(`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit.audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_audit_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER audit_events_no_truncate ON audit.audit_events');
    await q.query('DROP TRIGGER audit_events_immutable ON audit.audit_events');
    await q.query('DROP FUNCTION audit.reject_audit_change()');
    await q.query('DROP INDEX audit.audit_events_description_trgm_idx, audit.audit_events_chain_time_idx, audit.audit_events_chain_user_idx, audit.audit_events_chain_position_idx');
    await q.query('CREATE INDEX audit_events_team_seq_idx ON audit.audit_events (team_id, seq DESC)');
    await q.query('CREATE INDEX audit_events_team_user_idx ON audit.audit_events (team_id, actor_user_id, seq DESC)');
    await q.query('DROP TABLE audit.audit_chains');
    await q.query('ALTER TABLE audit.audit_events DROP COLUMN hash, DROP COLUMN prev_hash, DROP COLUMN position, DROP COLUMN chain_id');
    await q.query('DROP FUNCTION audit.entry_hash');
  }
}
