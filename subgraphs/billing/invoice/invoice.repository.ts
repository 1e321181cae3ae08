import { In } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { InvoiceEntity, InvoiceLineEntity } from './invoice.entity';
import type { InvoicedModelUsage } from './invoice-lines';

export class InvoiceRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Teams with invoiced usage in the period. */
  async teamsWithInvoicedUsage(periodStart: string): Promise<string[]> {
    const rows: { team_id: string }[] = await this.uow.reader.query(
      `SELECT DISTINCT team_id FROM billing.usage_events WHERE period_start = $1::date AND invoiced_ticks > 0 ORDER BY team_id`,
      [periodStart],
    );
    return rows.map((r) => r.team_id);
  }

  /**
   * A team's invoiced usage in the period, per model: the invoiced share of each request's tokens
   * (a request paid partly from prepaid credits counts in proportion) and the invoiced amount.
   */
  async invoicedUsage(teamId: string, periodStart: string, tx?: Tx): Promise<InvoicedModelUsage[]> {
    return (await this.invoicedUsageOfTeams([teamId], periodStart, tx)).get(teamId) ?? [];
  }

  /** Each team's invoiced usage in the period, by model. */
  async invoicedUsageOfTeams(teamIds: readonly string[], periodStart: string, tx?: Tx): Promise<Map<string, InvoicedModelUsage[]>> {
    const share = (tokens: string) => `sum(round((${tokens})::numeric * invoiced_ticks / cost_ticks))::text`;
    const rows: { team_id: string; model: string; prompt: string; cached: string; completion: string; invoiced: string }[] = await (tx ?? this.uow.reader).query(
      `SELECT team_id, model,
              ${share('prompt_tokens - cached_prompt_tokens + predefined_prompt_tokens')} AS prompt,
              ${share('cached_prompt_tokens')} AS cached,
              ${share('completion_tokens')} AS completion,
              sum(invoiced_ticks)::text AS invoiced
       FROM billing.usage_events
       WHERE team_id = ANY($1::uuid[]) AND period_start = $2::date AND invoiced_ticks > 0
       GROUP BY team_id, model
       ORDER BY team_id, model`,
      [[...teamIds], periodStart],
    );
    const byTeam = new Map<string, InvoicedModelUsage[]>();
    for (const r of rows) {
      let usage = byTeam.get(r.team_id);
      if (!usage) byTeam.set(r.team_id, (usage = []));
      usage.push({
        model: r.model,
        promptTokens: BigInt(r.prompt),
        cachedPromptTokens: BigInt(r.cached),
        completionTokens: BigInt(r.completion),
        invoicedTicks: BigInt(r.invoiced),
      });
    }
    return byTeam;
  }

  /** Inserts the invoice unless the team's period already has one; false when it had. */
  async insertOnce(tx: Tx, invoice: InvoiceEntity, lines: InvoiceLineEntity[]): Promise<boolean> {
    const inserted = await tx.createQueryBuilder().insert().into(InvoiceEntity).values(invoice).orIgnore().returning(['id']).execute();
    if (inserted.raw.length === 0) return false;
    if (lines.length) await tx.getRepository(InvoiceLineEntity).insert(lines);
    return true;
  }

  findOfTeams(teamIds: readonly string[]): Promise<InvoiceEntity[]> {
    return this.uow.reader.getRepository(InvoiceEntity).find({ where: { teamId: In([...teamIds]) }, order: { periodStart: 'DESC' } });
  }

  linesOf(invoiceIds: readonly string[]): Promise<InvoiceLineEntity[]> {
    return this.uow.reader.getRepository(InvoiceLineEntity).find({ where: { invoiceId: In([...invoiceIds]) }, order: { position: 'ASC' } });
  }
}
