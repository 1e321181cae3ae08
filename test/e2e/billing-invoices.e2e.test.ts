import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { BillingServices } from '../../subgraphs/billing/billing.context';
import { periodStartOf } from '../../subgraphs/billing/ledger/period';
import type { TeamServices } from '../../subgraphs/team/team.context';
import {
  AddPaymentMethodDocument,
  PurchaseCreditsDocument,
  RecordUsageDocument,
  RefundCreditsDocument,
  SetBillingInformationDocument,
  SetInvoicedSpendingLimitDocument,
  TeamBalanceDocument,
  TeamBillingInformationDocument,
  TeamInvoicesDocument,
  TeamPaymentMethodsDocument,
} from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { createBilledApiKey, signUpUserWithTeam, type SignedUpUser } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';

const USD = 10_000_000_000n;
let graph: TestGraph;
let sql: Client;
let anonymous: GraphClient;
let reporter: GraphClient;
let admin: SignedUpUser & { personalTeamId: string };
let member: SignedUpUser & { personalTeamId: string };
let teamId: string;
let billing: BillingServices;
let keyId: string;

beforeAll(async () => {
  // Refunds are required by law only in Germany in this test's configuration.
  graph = await startGraph({ billing: { refundCountries: ['DE'] } });
  billing = graph.apps.billing.services as BillingServices;
  sql = new Client({ connectionString: graph.db.url });
  await sql.connect();
  anonymous = new GraphClient(graph.url);
  reporter = anonymous.as(graph.usageReporterToken);
  [admin, member] = await Promise.all([signUpUserWithTeam(anonymous), signUpUserWithTeam(anonymous)]);
  teamId = admin.personalTeamId;
  await (graph.apps.team.services as TeamServices).teams.addMembership(teamId, member.id, 'MEMBER', { userId: admin.id });
  await eventually(async () => {
    const r = await member.client.request(TeamBalanceDocument, { id: teamId });
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  });
  keyId = await createBilledApiKey(graph, admin, teamId);
});

afterAll(async () => {
  await sql?.end();
  await graph?.stop();
});

const codes = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.map((e) => e.extensions?.code);
const balance = async () => (await admin.client.data(TeamBalanceDocument, { id: teamId })).team!.creditBalance;
const details = { legalName: 'Acme GmbH', address: 'Unter den Linden 1, 10117 Berlin', country: 'de', taxId: 'DE123456789' };

async function buy(amount: bigint): Promise<string> {
  const card = await admin.client.data(AddPaymentMethodDocument, { teamId, processorToken: 'tok_visa' });
  const bought = await admin.client.data(PurchaseCreditsDocument, {
    input: { teamId, amountTicks: amount.toString(), paymentMethodId: card.addPaymentMethod.id, idempotencyKey: `buy-${randomUUID()}` },
  });
  return bought.purchaseCredits.id;
}

describe('billing information', () => {
  it('is kept by admins; members see neither it nor payment methods', async () => {
    const set = await admin.client.data(SetBillingInformationDocument, { teamId, input: { ...details, country: 'us' } });
    expect(set.setBillingInformation).toEqual({ ...details, country: 'US' });
    const read = await admin.client.data(TeamBillingInformationDocument, { id: teamId });
    expect(read.team!.billingInformation).toEqual({ ...details, country: 'US' });

    const byMember = await member.client.request(TeamBillingInformationDocument, { id: teamId });
    expect(codes(byMember)).toEqual(['FORBIDDEN']);
    expect(byMember.data?.team?.billingInformation ?? null).toBeNull();
    expect(codes(await member.client.request(TeamPaymentMethodsDocument, { id: teamId }))).toEqual(['FORBIDDEN']);
    expect(codes(await member.client.request(SetBillingInformationDocument, { teamId, input: details }))).toEqual(['FORBIDDEN']);
  });

  it('refuses a country that is not an ISO code and empty names', async () => {
    expect(codes(await admin.client.request(SetBillingInformationDocument, { teamId, input: { ...details, country: 'Germany' } }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await admin.client.request(SetBillingInformationDocument, { teamId, input: { ...details, legalName: '  ' } }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('refunds of prepaid credits', () => {
  it('are refused with REFUND_NOT_ALLOWED outside the configured countries, changing nothing', async () => {
    await admin.client.data(SetBillingInformationDocument, { teamId, input: { ...details, country: 'US' } });
    const purchaseId = await buy(10n * USD);
    const before = await balance();
    const refused = await admin.client.request(RefundCreditsDocument, { teamId, purchaseId, amountTicks: (5n * USD).toString() });
    expect(codes(refused)).toEqual(['REFUND_NOT_ALLOWED']);
    expect(await balance()).toEqual(before);
    const refunds = await sql.query(`SELECT 1 FROM billing.ledger_entries WHERE team_id = $1 AND kind = 'REFUND'`, [teamId]);
    expect(refunds.rowCount).toBe(0);
  });

  it('are made where the law requires them, as a REFUND ledger entry, up to what is left unspent', async () => {
    await admin.client.data(SetBillingInformationDocument, { teamId, input: details });
    const purchaseId = await buy(10n * USD);
    const before = BigInt((await balance()).prepaid.ticks);
    const byMember = await member.client.request(RefundCreditsDocument, { teamId, purchaseId, amountTicks: (4n * USD).toString() });
    expect(codes(byMember)).toEqual(['FORBIDDEN']);

    const refunded = await admin.client.data(RefundCreditsDocument, { teamId, purchaseId, amountTicks: (4n * USD).toString() });
    expect(BigInt(refunded.refundCredits.prepaid.ticks)).toBe(before - 4n * USD);
    const entries = await sql.query(`SELECT prepaid_delta_ticks::text AS delta FROM billing.ledger_entries WHERE team_id = $1 AND kind = 'REFUND'`, [teamId]);
    expect(entries.rows).toEqual([{ delta: (-4n * USD).toString() }]);
    const tooMuch = await admin.client.request(RefundCreditsDocument, { teamId, purchaseId, amountTicks: (7n * USD).toString() });
    expect(codes(tooMuch)).toEqual(['BAD_USER_INPUT']);
    expect(BigInt((await balance()).prepaid.ticks)).toBe(before - 4n * USD);
    expect(await billing.balances.recompute(teamId)).toEqual({ prepaidTicks: before - 4n * USD, invoicedTicks: 0n });
  });
});

describe('monthly invoices', () => {
  const event = (promptTokens: number) => ({ requestId: `inv-${randomUUID()}`, teamId, apiKeyId: keyId, model: 'grok-4', promptTokens, cachedPromptTokens: 100, completionTokens: 50 });

  it('previews the current period, issues it once with the details of the moment, and never regenerates it', async () => {
    // Spend all prepaid credits, then invoice usage up to the limit.
    const { prepaid } = await balance();
    await admin.client.data(SetInvoicedSpendingLimitDocument, { teamId, limitTicks: (100n * USD).toString() });
    const perRequest = (1_000_000n - 100n + 28n) * 30_000n + 100n * 7_500n + 50n * 150_000n;
    const needed = Number(BigInt(prepaid.ticks) / perRequest) + 3;
    const result = await reporter.data(RecordUsageDocument, { events: Array.from({ length: needed }, () => event(1_000_000)) });
    expect(result.recordUsage.accepted).toBe(needed);
    const after = await balance();
    expect(after.prepaid.ticks).toBe('0');
    const invoiced = BigInt(after.invoicedThisPeriod.ticks);
    expect(invoiced).toBeGreaterThan(2n * perRequest);

    const preview = (await admin.client.data(TeamInvoicesDocument, { id: teamId })).team!;
    expect(preview.invoices).toEqual([]);
    expect(preview.invoicePreview).toMatchObject({ status: 'PREVIEW', issuedAt: null, total: { ticks: invoiced.toString() } });
    expect(preview.invoicePreview.lines.map((l) => [l.model, l.tokenKind])).toEqual([
      ['grok-4', 'PROMPT'],
      ['grok-4', 'CACHED_PROMPT'],
      ['grok-4', 'COMPLETION'],
    ]);

    const period = periodStartOf(new Date());
    await expect(billing.invoices.close(period.slice(0, 7))).rejects.toMatchObject({ code: 'BAD_USER_INPUT' }); // not over yet
    const monthAfter = new Date(Date.parse(`${period}T00:00:00Z`) + 32 * 24 * 3600_000);
    expect(await billing.invoices.close(period.slice(0, 7), monthAfter)).toEqual({ periodStart: period, issued: 1, alreadyIssued: 0 });

    // New billing details afterwards change nothing on the issued invoice, and closing again issues nothing.
    await admin.client.data(SetBillingInformationDocument, { teamId, input: { ...details, legalName: 'Acme Holding AG', country: 'CH' } });
    expect(await billing.invoices.close(period.slice(0, 7), monthAfter)).toEqual({ periodStart: period, issued: 0, alreadyIssued: 1 });

    const { invoices } = (await admin.client.data(TeamInvoicesDocument, { id: teamId })).team!;
    expect(invoices).toHaveLength(1);
    const [invoice] = invoices;
    expect(invoice).toMatchObject({
      status: 'ISSUED',
      periodStart: new Date(`${period}T00:00:00Z`).toISOString(),
      total: { ticks: invoiced.toString() },
      billingDetails: { ...details, country: 'DE' },
    });
    expect(invoice.issuedAt).not.toBeNull();
    expect(invoice.lines.reduce((sum, l) => sum + BigInt(l.amount.ticks), 0n)).toBe(invoiced);
    expect(invoice.lines.map((l) => l.description)).toEqual(preview.invoicePreview.lines.map((l) => l.description));
    // The ledger's invoiced usage of the period is what was invoiced.
    const ledger = await sql.query(`SELECT sum(invoiced_delta_ticks)::text AS s FROM billing.ledger_entries WHERE team_id = $1 AND period_start = $2`, [teamId, period]);
    expect(ledger.rows[0].s).toBe(invoiced.toString());

    // Issued invoices are immutable in the database too.
    await expect(sql.query(`UPDATE billing.invoices SET total_ticks = 0 WHERE team_id = $1`, [teamId])).rejects.toThrow(/append-only/);
    await expect(sql.query(`INSERT INTO billing.invoices (id, team_id, period_start, period_end, status, total_ticks, issued_at) VALUES ($1, $2, $3, $3::date + 31, 'ISSUED', 0, now())`, [randomUUID(), teamId, period])).rejects.toThrow(/unique|duplicate/);

    expect(codes(await member.client.request(TeamInvoicesDocument, { id: teamId }))).toEqual(expect.arrayContaining(['FORBIDDEN']));
  });

  it('refuses a malformed period', async () => {
    await expect(billing.invoices.close('October')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
