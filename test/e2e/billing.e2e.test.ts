import { randomUUID } from 'node:crypto';
import type { TeamServices } from '../../subgraphs/team/team.context';
import {
  AddPaymentMethodDocument,
  ConfirmCreditPurchaseDocument,
  CreditBalanceChangedDocument,
  PurchaseCreditsDocument,
  RecordUsageDocument,
  SetInvoicedSpendingLimitDocument,
  TeamBalanceDocument,
  TeamPaymentMethodsDocument,
} from '../operations/generated';
import { GraphClient, subscribe } from '../support/client';
import { eventually } from '../support/eventually';
import { createBilledApiKey, signUpUserWithTeam, type SignedUpUser } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';

const USD = 10_000_000_000n;
let graph: TestGraph;
let anonymous: GraphClient;
let reporter: GraphClient;
let admin: SignedUpUser & { personalTeamId: string };
let member: SignedUpUser & { personalTeamId: string };
let teamId: string;
let keyId: string;

beforeAll(async () => {
  graph = await startGraph();
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
  await graph?.stop();
});

const codes = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.map((e) => e.extensions?.code);
const balance = async () => (await admin.client.data(TeamBalanceDocument, { id: teamId })).team!.creditBalance;

describe('buying credits through the gateway', () => {
  it('adds a card from a token, buys credits idempotently and pushes the new balance live', async () => {
    const card = await admin.client.data(AddPaymentMethodDocument, { teamId, processorToken: 'tok_visa' });
    expect(card.addPaymentMethod).toMatchObject({ brand: 'visa', last4: '4242', country: 'US' });
    const ws = member.client.ws();
    try {
      const live = subscribe(ws, CreditBalanceChangedDocument, { teamId });
      await new Promise((r) => setTimeout(r, 300)); // subscribed before the purchase commits
      const input = { teamId, amountTicks: (25n * USD).toString(), paymentMethodId: card.addPaymentMethod.id, idempotencyKey: `buy-${randomUUID()}` };
      const first = await admin.client.data(PurchaseCreditsDocument, { input });
      const retry = await admin.client.data(PurchaseCreditsDocument, { input });
      expect(first.purchaseCredits).toMatchObject({ status: 'SUCCEEDED', amount: { usd: '25.0000000000' } });
      expect(retry.purchaseCredits.id).toBe(first.purchaseCredits.id);
      expect((await balance()).prepaid.ticks).toBe((25n * USD).toString());
      const pushed = await live.next();
      expect(pushed.data?.creditBalanceChanged.prepaid.ticks).toBe((25n * USD).toString());
      const reused = await admin.client.request(PurchaseCreditsDocument, { input: { ...input, amountTicks: (26n * USD).toString() } });
      expect(codes(reused)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    } finally {
      await ws.dispose();
    }
  });

  it('refuses an Indian card with CARD_COUNTRY_NOT_SUPPORTED and a declined charge with CARD_DECLINED, changing nothing', async () => {
    const before = await balance();
    const indian = await admin.client.request(AddPaymentMethodDocument, { teamId, processorToken: 'tok_in' });
    expect(codes(indian)).toEqual(['CARD_COUNTRY_NOT_SUPPORTED']);
    const declining = await admin.client.data(AddPaymentMethodDocument, { teamId, processorToken: 'tok_chargeDeclined' });
    const declined = await admin.client.request(PurchaseCreditsDocument, {
      input: { teamId, amountTicks: (5n * USD).toString(), paymentMethodId: declining.addPaymentMethod.id, idempotencyKey: 'declined' },
    });
    expect(codes(declined)).toEqual(['CARD_DECLINED']);
    expect(await balance()).toEqual(before);
    const methods = await admin.client.data(TeamPaymentMethodsDocument, { id: teamId });
    expect(methods.team!.paymentMethods.map((m) => m.last4)).not.toContain('0008');
  });

  it('completes a 3-D Secure purchase through the confirm step', async () => {
    const card = await admin.client.data(AddPaymentMethodDocument, { teamId, processorToken: 'tok_threeDSecureRequired' });
    const before = BigInt((await balance()).prepaid.ticks);
    const pending = await admin.client.data(PurchaseCreditsDocument, {
      input: { teamId, amountTicks: (3n * USD).toString(), paymentMethodId: card.addPaymentMethod.id, idempotencyKey: `3ds-${randomUUID()}` },
    });
    expect(pending.purchaseCredits.status).toBe('REQUIRES_CONFIRMATION');
    expect(BigInt((await balance()).prepaid.ticks)).toBe(before);
    const done = await admin.client.data(ConfirmCreditPurchaseDocument, { teamId, id: pending.purchaseCredits.id });
    expect(done.confirmCreditPurchase.status).toBe('SUCCEEDED');
    expect(BigInt(done.confirmCreditPurchase.balance.prepaid.ticks)).toBe(before + 3n * USD);
  });

  it('refuses bad input with BAD_USER_INPUT', async () => {
    const card = await admin.client.data(AddPaymentMethodDocument, { teamId, processorToken: 'tok_mastercard' });
    const bad = await admin.client.request(PurchaseCreditsDocument, { input: { teamId, amountTicks: '-5', paymentMethodId: card.addPaymentMethod.id, idempotencyKey: 'neg' } });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    const negativeLimit = await admin.client.request(SetInvoicedSpendingLimitDocument, { teamId, limitTicks: '-1' });
    expect(codes(negativeLimit)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('metering through the gateway', () => {
  const event = (requestId: string, promptTokens = 1000) => ({ requestId, teamId, apiKeyId: keyId, model: 'grok-4', promptTokens, completionTokens: 100 });

  it('bills usage from prepaid then invoiced up to the limit, each request id once, for usage reporters only', async () => {
    // A key of a team with no credits: everything is refused.
    const broke = await createBilledApiKey(graph, member, member.personalTeamId);
    const refused = await reporter.data(RecordUsageDocument, { events: [{ ...event('r-none'), teamId: member.personalTeamId, apiKeyId: broke }] });
    expect(refused.recordUsage.rejected).toEqual([expect.objectContaining({ requestId: 'r-none', code: 'INSUFFICIENT_CREDITS' })]);

    const before = await balance();
    const id = `req-${randomUUID()}`;
    const result = await reporter.data(RecordUsageDocument, { events: [event(id), event(id), { ...event('unknown'), model: 'gpt-0' }] });
    expect(result.recordUsage).toMatchObject({ accepted: 1, duplicates: 1, rejected: [expect.objectContaining({ requestId: 'unknown', code: 'UNKNOWN_MODEL' })] });
    const cost = (1000n + 28n) * 30_000n + 100n * 150_000n;
    expect(BigInt((await balance()).prepaid.ticks)).toBe(BigInt(before.prepaid.ticks) - cost);
    const again = await reporter.data(RecordUsageDocument, { events: [event(id)] });
    expect(again.recordUsage).toMatchObject({ accepted: 0, duplicates: 1 });

    const forUser = await admin.client.request(RecordUsageDocument, { events: [event(`u-${randomUUID()}`)] });
    expect(codes(forUser)).toEqual(['FORBIDDEN']);
    const forAnonymous = await anonymous.request(RecordUsageDocument, { events: [event(`a-${randomUUID()}`)] });
    expect(codes(forAnonymous)).toEqual(['UNAUTHENTICATED']);
    const wrongToken = await anonymous.as('x'.repeat(64)).request(RecordUsageDocument, { events: [] });
    expect(codes(wrongToken)).toEqual(['UNAUTHENTICATED']);
  });

  it('invoices usage beyond prepaid only up to the spending limit', async () => {
    const huge = 10_000_000; // far more than the prepaid credits left
    const noLimit = await reporter.data(RecordUsageDocument, { events: [event(`big-${randomUUID()}`, huge)] });
    expect(noLimit.recordUsage.rejected[0].code).toBe('INSUFFICIENT_CREDITS');
    const limit = 50n * USD; // the first big request (~$30) fits; a $300 one never does
    const set = await admin.client.data(SetInvoicedSpendingLimitDocument, { teamId, limitTicks: limit.toString() });
    expect(set.setInvoicedSpendingLimit.invoicedLimit.ticks).toBe(limit.toString());
    const billed = await reporter.data(RecordUsageDocument, { events: [event(`big-${randomUUID()}`, huge)] });
    expect(billed.recordUsage.accepted).toBe(1);
    const after = await balance();
    expect(after.prepaid.ticks).toBe('0');
    expect(BigInt(after.invoicedThisPeriod.ticks)).toBeGreaterThan(0n);
    const tooMuch = await reporter.data(RecordUsageDocument, { events: Array.from({ length: 3 }, () => event(`big-${randomUUID()}`, huge * 10)) });
    expect(tooMuch.recordUsage.rejected.map((r) => r.code)).toEqual(['SPENDING_LIMIT_REACHED', 'SPENDING_LIMIT_REACHED', 'SPENDING_LIMIT_REACHED']);
    expect(await balance()).toEqual(after);
    const recomputed = await (graph.apps.billing.services as { balances: { recompute(t: string): Promise<{ prepaidTicks: bigint; invoicedTicks: bigint }> } }).balances.recompute(teamId);
    expect(recomputed).toEqual({ prepaidTicks: 0n, invoicedTicks: BigInt(after.invoicedThisPeriod.ticks) });
  });
});
