import { randomUUID } from 'node:crypto';
import type { ModelPrice } from '../../kit/config';
import { badInput } from '../../kit/errors';
import { Permission, type Session } from '../../kit/session';
import type { UnitOfWork } from '../../kit/transaction';
import type { CreditBalanceService } from '../balance/credit-balance.service';
import type { BillingInformationService } from '../information/billing-information.service';
import { periodStartOf } from '../ledger/period';
import { InvoiceLineEntity, type InvoiceBillingDetails, type InvoiceEntity } from './invoice.entity';
import type { InvoiceRepository } from './invoice.repository';
import { invoiceLines, parsePeriod, type InvoiceLine } from './invoice-lines';

/** An invoice as shown: an issued one, or the preview of the current period. */
export interface InvoiceView {
  id: string;
  teamId: string;
  periodStart: string;
  periodEnd: string;
  status: 'ISSUED' | 'PREVIEW';
  totalTicks: bigint;
  issuedAt: Date | null;
  billingDetails: InvoiceBillingDetails | null;
  lines: InvoiceLine[];
}

export interface CloseResult {
  periodStart: string;
  issued: number;
  alreadyIssued: number;
}

/**
 * Monthly invoices. Closing a period issues one invoice per team with invoiced usage in it: its
 * lines, total and the billing details as they are at that moment. A period that has not ended
 * cannot be closed, and a team's period is invoiced at most once (unique per team and period), so
 * closing again issues nothing and nothing regenerates an old invoice with new details.
 */
export class InvoiceService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly invoices: InvoiceRepository,
    private readonly balances: CreditBalanceService,
    private readonly billingInformation: BillingInformationService,
    private readonly prices: Record<string, ModelPrice>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Closes the period ("2026-10") as of `asOf` (now by default), issuing the invoices still missing. */
  async close(period: string, asOf: Date = this.now()): Promise<CloseResult> {
    const parsed = parsePeriod(period);
    if (!parsed) throw badInput('period must be a month, e.g. "2026-10"', { field: 'period' });
    if (asOf.getTime() < Date.parse(`${parsed.end}T00:00:00Z`)) throw badInput(`The period ${parsed.start} has not ended yet`, { field: 'period' });
    let issued = 0;
    let alreadyIssued = 0;
    for (const teamId of await this.invoices.teamsWithInvoicedUsage(parsed.start)) {
      const done = await this.uow.run(async (tx) => {
        // Waits for a debit of this team still committing, so its usage is on the invoice.
        await this.balances.lockIn(tx, teamId);
        const lines = invoiceLines(await this.invoices.invoicedUsage(teamId, parsed.start, tx), this.prices);
        const info = await this.billingInformation.findIn(tx, teamId);
        const id = randomUUID();
        return this.invoices.insertOnce(
          tx,
          {
            id,
            teamId,
            periodStart: parsed.start,
            periodEnd: parsed.end,
            status: 'ISSUED',
            totalTicks: lines.reduce((sum, l) => sum + l.amountTicks, 0n).toString(),
            billingDetails: info ? { legalName: info.legalName, address: info.address, country: info.country, taxId: info.taxId } : null,
            issuedAt: this.now(),
          },
          lines.map((l, position) =>
            Object.assign(new InvoiceLineEntity(), {
              invoiceId: id,
              position,
              model: l.model,
              tokenKind: l.tokenKind,
              description: l.description,
              quantity: l.quantity.toString(),
              amountTicks: l.amountTicks.toString(),
            }),
          ),
        );
      });
      if (done) issued++;
      else alreadyIssued++;
    }
    return { periodStart: parsed.start, issued, alreadyIssued };
  }

  /** The scheduled job: closes the month that ended last (again, harmlessly, until the next one ends). */
  closeLastPeriod(): Promise<CloseResult> {
    const at = this.now();
    const previous = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1));
    return this.close(periodStartOf(previous), at);
  }

  assertCanRead(session: Session, teamId: string): void {
    session.assertPermission(teamId, Permission.BillingManage);
  }

  /** Issued invoices of the teams, newest period first. */
  async invoicesOf(teamIds: readonly string[]): Promise<InvoiceView[]> {
    const invoices = await this.invoices.findOfTeams(teamIds);
    const linesOf = new Map<string, InvoiceLineEntity[]>();
    for (const line of invoices.length ? await this.invoices.linesOf(invoices.map((i) => i.id)) : []) {
      let lines = linesOf.get(line.invoiceId);
      if (!lines) linesOf.set(line.invoiceId, (lines = []));
      lines.push(line);
    }
    return invoices.map((i: InvoiceEntity) => ({
      id: i.id,
      teamId: i.teamId,
      periodStart: i.periodStart,
      periodEnd: i.periodEnd,
      status: i.status,
      totalTicks: BigInt(i.totalTicks),
      issuedAt: i.issuedAt,
      billingDetails: i.billingDetails,
      lines: (linesOf.get(i.id) ?? []).map((l) => ({ model: l.model, tokenKind: l.tokenKind, description: l.description, quantity: BigInt(l.quantity), amountTicks: BigInt(l.amountTicks) })),
    }));
  }

  /** Each team's current period so far, as its invoice would read if it closed now (not stored). */
  async previews(teamIds: readonly string[]): Promise<InvoiceView[]> {
    const period = parsePeriod(periodStartOf(this.now()))!;
    const [usage, information] = await Promise.all([this.invoices.invoicedUsageOfTeams(teamIds, period.start), this.billingInformation.ofTeams(teamIds)]);
    const infoOf = new Map(information.map((i) => [i.teamId, i]));
    return teamIds.map((teamId) => {
      const lines = invoiceLines(usage.get(teamId) ?? [], this.prices);
      const info = infoOf.get(teamId);
      return {
        id: `preview:${teamId}:${period.start}`,
        teamId,
        periodStart: period.start,
        periodEnd: period.end,
        status: 'PREVIEW',
        totalTicks: lines.reduce((sum, l) => sum + l.amountTicks, 0n),
        issuedAt: null,
        billingDetails: info ? { legalName: info.legalName, address: info.address, country: info.country, taxId: info.taxId } : null,
        lines,
      };
    });
  }
}
