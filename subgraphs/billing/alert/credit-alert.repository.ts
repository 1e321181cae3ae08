import type { Tx, UnitOfWork } from '../../kit/transaction';
import type { CreditAlertState } from './credit-alert-rules';

export interface CreditAlertRow extends CreditAlertState {
  teamId: string;
}

interface RawAlert {
  teamId: string;
  thresholds: number[];
  topUp: string;
  fired: number[];
}

const COLUMNS = `team_id AS "teamId", thresholds_percent AS thresholds, top_up_ticks AS "topUp", fired_percent AS fired`;
const toRow = (r: RawAlert): CreditAlertRow => ({ teamId: r.teamId, thresholdsPercent: r.thresholds, topUpTicks: BigInt(r.topUp), firedPercent: r.fired });

export class CreditAlertRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async findByTeams(teamIds: readonly string[]): Promise<CreditAlertRow[]> {
    const rows: RawAlert[] = await this.uow.reader.query(`SELECT ${COLUMNS} FROM billing.credit_alerts WHERE team_id = ANY($1::uuid[])`, [[...teamIds]]);
    return rows.map(toRow);
  }

  /** Locks the alert rows of teams with thresholds set, in team order. */
  async lockArmed(tx: Tx, teamIds: readonly string[]): Promise<CreditAlertRow[]> {
    const rows: RawAlert[] = await tx.query(
      `SELECT ${COLUMNS} FROM billing.credit_alerts WHERE team_id = ANY($1::uuid[]) AND cardinality(thresholds_percent) > 0 AND top_up_ticks > 0
       ORDER BY team_id FOR UPDATE`,
      [[...teamIds]],
    );
    return rows.map(toRow);
  }

  /** New thresholds; a threshold kept from before keeps having fired, a new one is armed. */
  async setThresholds(tx: Tx, teamId: string, thresholds: number[], at: Date): Promise<CreditAlertRow> {
    const rows: RawAlert[] = await tx.query(
      `INSERT INTO billing.credit_alerts AS a (team_id, thresholds_percent, updated_at) VALUES ($1, $2::int[], $3)
       ON CONFLICT (team_id) DO UPDATE SET thresholds_percent = EXCLUDED.thresholds_percent,
         fired_percent = ARRAY(SELECT unnest(a.fired_percent) INTERSECT SELECT unnest(EXCLUDED.thresholds_percent)), updated_at = EXCLUDED.updated_at
       RETURNING ${COLUMNS}`,
      [teamId, thresholds, at],
    );
    return toRow(rows[0]);
  }

  /** A top-up: thresholds are now percentages of it, and all fire again. */
  async rearm(tx: Tx, teamId: string, topUpTicks: bigint, at: Date): Promise<void> {
    await tx.query(
      `INSERT INTO billing.credit_alerts (team_id, top_up_ticks, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (team_id) DO UPDATE SET top_up_ticks = EXCLUDED.top_up_ticks, fired_percent = '{}', updated_at = EXCLUDED.updated_at`,
      [teamId, topUpTicks.toString(), at],
    );
  }

  async markFired(tx: Tx, fired: { teamId: string; firedPercent: number[] }[], at: Date): Promise<void> {
    for (const f of fired) {
      await tx.query(`UPDATE billing.credit_alerts SET fired_percent = $2::int[], updated_at = $3 WHERE team_id = $1`, [f.teamId, f.firedPercent, at]);
    }
  }
}
