import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Billing's own copy of Team's API keys (from `team.api_key.*` events), so metering bills the
 * key's team, with an optional monthly spend cap per key; and credit alert thresholds per team.
 */
export class BillingApiKeysAlerts1733300000000 implements MigrationInterface {
  name = 'BillingApiKeysAlerts1733300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE billing.api_keys (
      id uuid PRIMARY KEY,
      team_id uuid NOT NULL,
      disabled_at timestamptz,
      revoked_at timestamptz,
      monthly_spend_cap_ticks bigint CHECK (monthly_spend_cap_ticks >= 0),
      spend_period date NOT NULL,
      spend_this_period_ticks bigint NOT NULL DEFAULT 0 CHECK (spend_this_period_ticks >= 0),
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX api_keys_team_idx ON billing.api_keys (team_id)`);
    await q.query(`CREATE TABLE billing.credit_alerts (
      team_id uuid PRIMARY KEY,
      thresholds_percent int[] NOT NULL DEFAULT '{}',
      top_up_ticks bigint NOT NULL DEFAULT 0 CHECK (top_up_ticks >= 0),
      fired_percent int[] NOT NULL DEFAULT '{}',
      updated_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE billing.credit_alerts, billing.api_keys`);
  }
}
