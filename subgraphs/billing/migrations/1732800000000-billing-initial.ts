import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventTablesDdl } from '../../kit/events';

export class BillingInitial1732800000000 implements MigrationInterface {
  name = 'BillingInitial1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE billing.ledger_entries (
      id uuid PRIMARY KEY,
      team_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('PURCHASE', 'USAGE_PREPAID', 'USAGE_INVOICED', 'FORFEIT', 'REFUND', 'ADJUSTMENT')),
      prepaid_delta_ticks bigint NOT NULL,
      invoiced_delta_ticks bigint NOT NULL,
      reference text,
      created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX ledger_entries_team_idx ON billing.ledger_entries (team_id, created_at)`);
    await q.query(`CREATE TABLE billing.credit_balances (
      team_id uuid PRIMARY KEY,
      prepaid_ticks bigint NOT NULL,
      invoiced_this_period_ticks bigint NOT NULL,
      invoiced_limit_ticks bigint NOT NULL CHECK (invoiced_limit_ticks >= 0),
      updated_at timestamptz NOT NULL
    )`);
    for (const ddl of eventTablesDdl('billing')) await q.query(ddl);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE billing.dead_letters, billing.processed_events, billing.outbox, billing.credit_balances, billing.ledger_entries');
  }
}
