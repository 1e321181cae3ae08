import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit rows deleted only by the retention job's own role, and only past the retention period.
 *
 * Before, the trigger let any transaction delete that had set `audit.retention = on`, a flag the
 * application's role could set itself. Now it asks who is deleting: `current_user` must be
 * `audit_retention`, which a session can become only by logging in as it or by `SET ROLE` when
 * granted it (never the application's role; a superuser can, but a superuser can also drop the
 * trigger, which is what the hash chain is for). Superusers bypass GRANTs, so the identity check
 * sits in the trigger, not only in privileges.
 *
 * The period is `audit.retention_policy.keep_days`, which only the table's owner (the application,
 * from AUDIT_RETENTION_DAYS) may change: the retention role may delete old rows but not decide
 * what old means.
 *
 * Roles belong to the cluster, not the database: the role is created here where the migrating
 * role may (development, tests), and must exist beforehand elsewhere (docker/postgres-init.sh).
 */
export class AuditRetentionRole1734000000000 implements MigrationInterface {
  name = 'AuditRetentionRole1734000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_retention') THEN
          BEGIN
            -- No login: in development and tests the job's connection becomes it (-c role=…);
            -- production creates it beforehand with a password (docker/postgres-init.sh).
            CREATE ROLE audit_retention NOLOGIN;
          EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL; -- another database's migration created it just now
            WHEN insufficient_privilege THEN
              RAISE EXCEPTION 'the role audit_retention does not exist and % may not create it: CREATE ROLE audit_retention LOGIN PASSWORD ''...'' first (see README)', current_user;
          END;
        END IF;
      END $$`);

    await q.query(`CREATE TABLE audit.retention_policy (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      keep_days integer NOT NULL CHECK (keep_days >= 1)
    )`);
    await q.query('INSERT INTO audit.retention_policy (keep_days) VALUES (365)');

    await q.query('GRANT USAGE ON SCHEMA audit TO audit_retention');
    await q.query('GRANT SELECT, DELETE ON audit.audit_events TO audit_retention');
    // Retention moves a chain's start; it may not touch its head. FOR UPDATE needs UPDATE on one column.
    await q.query('GRANT SELECT, UPDATE (pruned_position, pruned_hash) ON audit.audit_chains TO audit_retention');
    await q.query('GRANT SELECT ON audit.retention_policy TO audit_retention');

    // Nested IFs: OLD does not exist for TRUNCATE, and PL/pgSQL may evaluate both sides of an AND.
    await q.query(`CREATE OR REPLACE FUNCTION audit.reject_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_user = 'audit_retention' THEN
          IF OLD.occurred_at < now() - make_interval(days => (SELECT keep_days FROM audit.retention_policy)) THEN
            RETURN OLD;
          END IF;
          RAISE EXCEPTION 'audit events are deleted only after the retention period' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RAISE EXCEPTION 'audit events cannot be changed or deleted (%)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE FUNCTION audit.reject_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('audit.retention', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit events cannot be changed or deleted (%)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query('REVOKE ALL ON audit.audit_events, audit.audit_chains, audit.retention_policy FROM audit_retention');
    await q.query('REVOKE USAGE ON SCHEMA audit FROM audit_retention');
    await q.query('DROP TABLE audit.retention_policy');
  }
}
