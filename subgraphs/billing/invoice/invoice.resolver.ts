import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { BillingContext } from '../billing.context';
import { BillingTeamType } from '../balance/credit-balance.types';
import { money } from '../balance/credit-balance.view';
import type { InvoiceView } from './invoice.service';
import { InvoiceType } from './invoice.types';

const day = (d: string) => new Date(`${d}T00:00:00Z`);

export const toInvoice = (i: InvoiceView): InvoiceType => ({
  id: i.id,
  periodStart: day(i.periodStart),
  periodEnd: day(i.periodEnd),
  status: i.status,
  total: money(i.totalTicks),
  issuedAt: i.issuedAt,
  billingDetails: i.billingDetails,
  lines: i.lines.map((l) => ({ description: l.description, quantity: l.quantity, amount: money(l.amountTicks), model: l.model, tokenKind: l.tokenKind })),
});

@Resolver(() => BillingTeamType)
export class TeamInvoicesResolver {
  @Allow(Access.TeamAdmin, { team: 'root.id' })
  @FieldResolver(() => [InvoiceType], { description: 'Issued invoices, newest period first. Team admins only.' })
  async invoices(@Root() team: BillingTeamType, @Ctx() ctx: BillingContext): Promise<InvoiceType[]> {
    ctx.services.invoices.assertCanRead(ctx.session, team.id);
    return (await ctx.loaders.invoices.load(team.id)).map(toInvoice);
  }

  @Allow(Access.TeamAdmin, { team: 'root.id' })
  @FieldResolver(() => InvoiceType, { description: 'The current period so far, as its invoice would read if it closed now. Team admins only.' })
  async invoicePreview(@Root() team: BillingTeamType, @Ctx() ctx: BillingContext): Promise<InvoiceType> {
    ctx.services.invoices.assertCanRead(ctx.session, team.id);
    return toInvoice((await ctx.loaders.invoicePreview.load(team.id))!);
  }
}
