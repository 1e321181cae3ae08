import type { UnitOfWork } from '../../kit/transaction';

export class AuthFailureRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async count(keys: string[], windowStart: Date): Promise<Map<string, number>> {
    const rows: { key: string; failures: number }[] = await this.uow.reader.query(
      `SELECT key, failures FROM identity.auth_failures WHERE key = ANY($1) AND window_start = $2`,
      [keys, windowStart],
    );
    return new Map(rows.map((r) => [r.key, r.failures]));
  }

  async increment(keys: string[], windowStart: Date): Promise<void> {
    await this.uow.reader.query(
      `INSERT INTO identity.auth_failures (key, window_start, failures)
       SELECT k, $2, 1 FROM unnest($1::text[]) AS k
       ON CONFLICT (key, window_start) DO UPDATE SET failures = identity.auth_failures.failures + 1`,
      [keys, windowStart],
    );
  }

  /** Old windows are worthless; dropped opportunistically. */
  async purgeBefore(windowStart: Date): Promise<void> {
    await this.uow.reader.query(`DELETE FROM identity.auth_failures WHERE window_start < $1`, [windowStart]);
  }
}
