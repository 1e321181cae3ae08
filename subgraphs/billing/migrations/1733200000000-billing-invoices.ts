import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Monthly invoices: one per team and period, never changed once issued. */
export class BillingInvoices1733200000000 implements MigrationInterface {
  name = 'BillingInvoices1733200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE billing.invoices (
      id uuid PRIMARY KEY,
      team_id uuid NOT NULL,
      period_start date NOT NULL,
      period_end date NOT NULL CHECK (period_end > period_start),
      status text NOT NULL CHECK (status = 'ISSUED'),
      total_ticks bigint NOT NULL CHECK (total_ticks >= 0),
      billing_details jsonb,
      issued_at timestamptz NOT NULL,
      UNIQUE (team_id, period_start)
    )`);
    await q.query(`CREATE TABLE billing.invoice_lines (
      invoice_id uuid NOT NULL REFERENCES billing.invoices (id),
      position integer NOT NULL,
      model text NOT NULL,
      token_kind text NOT NULL CHECK (token_kind IN ('PROMPT', 'CACHED_PROMPT', 'COMPLETION')),
      description text NOT NULL,
      quantity bigint NOT NULL CHECK (quantity >= 0),
      amount_ticks bigint NOT NULL CHECK (amount_ticks >= 0),
      PRIMARY KEY (invoice_id, position)
    )`);
    await q.query(`CREATE INDEX usage_events_period_idx ON billing.usage_events (period_start, team_id) WHERE invoiced_ticks > 0`);
    await q.query(`CREATE TRIGGER invoices_append_only BEFORE UPDATE OR DELETE ON billing.invoices FOR EACH ROW EXECUTE FUNCTION billing.refuse_change()`);
    await q.query(`CREATE TRIGGER invoice_lines_append_only BEFORE UPDATE OR DELETE ON billing.invoice_lines FOR EACH ROW EXECUTE FUNCTION billing.refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX billing.usage_events_period_idx`);
    await q.query(`DROP TABLE billing.invoice_lines, billing.invoices`);
  }
}
