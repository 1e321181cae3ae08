import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Counts of failed sign-ins per account and per IP address in fixed windows, for rate limiting. */
export class IdentityAuthFailures1732900000001 implements MigrationInterface {
  name = 'IdentityAuthFailures1732900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE identity.auth_failures (
      key text NOT NULL,
      window_start timestamptz NOT NULL,
      failures int NOT NULL,
      PRIMARY KEY (key, window_start)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE identity.auth_failures');
  }
}
