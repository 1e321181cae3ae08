import { queryPrepared, type Tx, type UnitOfWork } from '../../kit/transaction';

export interface BillingApiKey {
  id: string;
  teamId: string;
  disabledAt: Date | null;
  revokedAt: Date | null;
  monthlySpendCapTicks: bigint | null;
  spendPeriod: string;
  spendThisPeriodTicks: bigint;
}

/** A key's spend in `period` (the first day of a UTC month): what it spent in a month that has ended no longer counts. */
export const spendIn = (key: Pick<BillingApiKey, 'spendPeriod' | 'spendThisPeriodTicks'>, period: string): bigint =>
  key.spendPeriod < period ? 0n : key.spendThisPeriodTicks;

export interface RawKey {
  id: string;
  teamId: string;
  disabledAt: Date | null;
  revokedAt: Date | null;
  cap: string | null;
  spendPeriod: string;
  spend: string;
}

/** A key row's columns, as `RawKey` names them. */
export const KEY_COLUMNS = `id, team_id AS "teamId", disabled_at AS "disabledAt", revoked_at AS "revokedAt", monthly_spend_cap_ticks AS cap,
  spend_period::text AS "spendPeriod", spend_this_period_ticks AS spend`;

export const toKey = (r: RawKey): BillingApiKey => ({
  id: r.id,
  teamId: r.teamId,
  disabledAt: r.disabledAt,
  revokedAt: r.revokedAt,
  monthlySpendCapTicks: r.cap === null ? null : BigInt(r.cap),
  spendPeriod: r.spendPeriod,
  spendThisPeriodTicks: BigInt(r.spend),
});

/** Billing's API keys: the projection of Team's key events, and each key's cap (metering writes the spend with the balances). */
export class BillingApiKeyRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async findByIds(ids: readonly string[]): Promise<BillingApiKey[]> {
    if (ids.length === 0) return [];
    const rows: RawKey[] = await this.uow.reader.query(`SELECT ${KEY_COLUMNS} FROM billing.api_keys WHERE id = ANY($1::uuid[])`, [[...ids]]);
    return rows.map(toKey);
  }

  /** Locks the keys' rows (in id order, so lockers never deadlock) until the transaction ends. */
  async lock(tx: Tx, ids: readonly string[]): Promise<BillingApiKey[]> {
    if (ids.length === 0) return [];
    const rows = await queryPrepared<RawKey>(tx, 'billing.api-keys.lock', `SELECT ${KEY_COLUMNS} FROM billing.api_keys WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [[...ids]]);
    return rows.map(toKey);
  }

  /** A key Team created; a redelivered event changes nothing. */
  async created(tx: Tx, id: string, teamId: string, capTicks: bigint | null, period: string, at: Date): Promise<void> {
    await tx.query(
      `INSERT INTO billing.api_keys (id, team_id, monthly_spend_cap_ticks, spend_period, updated_at) VALUES ($1, $2, $3, $4::date, $5)
       ON CONFLICT (id) DO NOTHING`,
      [id, teamId, capTicks?.toString() ?? null, period, at],
    );
  }

  async setDisabled(tx: Tx, id: string, disabledAt: Date | null, at: Date): Promise<void> {
    await tx.query(
      `UPDATE billing.api_keys SET disabled_at = CASE WHEN $2::timestamptz IS NULL THEN NULL ELSE LEAST(coalesce(disabled_at, $2), $2) END, updated_at = $3 WHERE id = $1`,
      [id, disabledAt, at],
    );
  }

  /** Revokes for good from `revokedAt` (the earliest revocation wins). */
  async revoke(tx: Tx, id: string, revokedAt: Date, at: Date): Promise<void> {
    await tx.query(`UPDATE billing.api_keys SET revoked_at = LEAST(coalesce(revoked_at, $2), $2), updated_at = $3 WHERE id = $1`, [id, revokedAt, at]);
  }

  async revokeTeam(tx: Tx, teamId: string, revokedAt: Date, at: Date): Promise<void> {
    await tx.query(`UPDATE billing.api_keys SET revoked_at = LEAST(coalesce(revoked_at, $2), $2), updated_at = $3 WHERE team_id = $1`, [teamId, revokedAt, at]);
  }

  async setCap(tx: Tx, id: string, capTicks: bigint | null, at: Date): Promise<void> {
    await tx.query(`UPDATE billing.api_keys SET monthly_spend_cap_ticks = $2, updated_at = $3 WHERE id = $1`, [id, capTicks?.toString() ?? null, at]);
  }
}
