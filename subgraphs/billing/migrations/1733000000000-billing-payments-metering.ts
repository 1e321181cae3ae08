import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Payment methods, idempotent credit purchases, metered usage, billing information, invoice periods. */
export class BillingPaymentsMetering1733000000000 implements MigrationInterface {
  name = 'BillingPaymentsMetering1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE billing.payment_methods (
      id uuid PRIMARY KEY,
      team_id uuid NOT NULL,
      processor_ref text NOT NULL,
      brand text NOT NULL,
      last4 text NOT NULL,
      country text NOT NULL,
      created_by uuid,
      created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX payment_methods_team_idx ON billing.payment_methods (team_id, created_at)`);
    await q.query(`CREATE TABLE billing.credit_purchases (
      id uuid PRIMARY KEY,
      team_id uuid NOT NULL,
      idempotency_key text NOT NULL,
      amount_ticks bigint NOT NULL CHECK (amount_ticks > 0),
      payment_method_id uuid NOT NULL REFERENCES billing.payment_methods (id),
      status text NOT NULL CHECK (status IN ('PENDING', 'REQUIRES_CONFIRMATION', 'SUCCEEDED', 'FAILED')),
      charge_id text,
      failure_code text,
      failure_message text,
      refunded_ticks bigint NOT NULL DEFAULT 0 CHECK (refunded_ticks >= 0 AND refunded_ticks <= amount_ticks),
      created_by uuid,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (team_id, idempotency_key)
    )`);
    await q.query(`CREATE TABLE billing.usage_events (
      request_id text PRIMARY KEY,
      team_id uuid NOT NULL,
      api_key_id text NOT NULL,
      model text NOT NULL,
      prompt_tokens integer NOT NULL,
      cached_prompt_tokens integer NOT NULL,
      completion_tokens integer NOT NULL,
      predefined_prompt_tokens integer NOT NULL,
      cost_ticks bigint NOT NULL CHECK (cost_ticks >= 0),
      prepaid_ticks bigint NOT NULL CHECK (prepaid_ticks >= 0),
      invoiced_ticks bigint NOT NULL CHECK (invoiced_ticks >= 0),
      period_start date NOT NULL,
      batch_id uuid NOT NULL,
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL,
      CHECK (cost_ticks = prepaid_ticks + invoiced_ticks)
    )`);
    await q.query(`CREATE INDEX usage_events_team_idx ON billing.usage_events (team_id, occurred_at)`);
    await q.query(`CREATE TABLE billing.billing_information (
      team_id uuid PRIMARY KEY,
      legal_name text NOT NULL,
      address text NOT NULL,
      country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
      tax_id text,
      updated_by uuid,
      updated_at timestamptz NOT NULL
    )`);
    // The invoice period (first day of the UTC month) an invoiced amount belongs to.
    await q.query(`ALTER TABLE billing.ledger_entries ADD COLUMN period_start date`);
    await q.query(`UPDATE billing.ledger_entries SET period_start = date_trunc('month', created_at AT TIME ZONE 'UTC')::date`);
    await q.query(`ALTER TABLE billing.ledger_entries ALTER COLUMN period_start SET NOT NULL`);
    await q.query(`ALTER TABLE billing.credit_balances ADD COLUMN period_start date NOT NULL DEFAULT date_trunc('month', now() AT TIME ZONE 'UTC')::date`);
    await q.query(`ALTER TABLE billing.credit_balances ALTER COLUMN period_start DROP DEFAULT`);
    // Append-only: the ledger and billed usage are never rewritten.
    await q.query(`CREATE FUNCTION billing.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`);
    await q.query(`CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON billing.ledger_entries
      FOR EACH ROW EXECUTE FUNCTION billing.refuse_change()`);
    await q.query(`CREATE TRIGGER usage_events_append_only BEFORE UPDATE OR DELETE ON billing.usage_events
      FOR EACH ROW EXECUTE FUNCTION billing.refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER usage_events_append_only ON billing.usage_events`);
    await q.query(`DROP TRIGGER ledger_entries_append_only ON billing.ledger_entries`);
    await q.query(`DROP FUNCTION billing.refuse_change()`);
    await q.query(`ALTER TABLE billing.credit_balances DROP COLUMN period_start`);
    await q.query(`ALTER TABLE billing.ledger_entries DROP COLUMN period_start`);
    await q.query(`DROP TABLE billing.billing_information, billing.usage_events, billing.credit_purchases, billing.payment_methods`);
  }
}
