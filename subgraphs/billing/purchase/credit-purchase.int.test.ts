import { randomUUID } from 'node:crypto';
import { Session } from '../../kit/session';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { BillingServices } from '../billing.context';
import { billingSubgraph } from '../billing.subgraph';
import type { LocalPaymentProcessor } from '../payment/local-payment-processor';

let billing: StartedSubgraph<BillingServices>;
let services: BillingServices;
const USD = 10_000_000_000n;

beforeAll(async () => {
  billing = await startSubgraph(billingSubgraph, { app: { consumers: false, relay: false } });
  services = billing.app.services;
});

afterAll(async () => {
  await billing?.stop();
});

const adminOf = (teamId: string) => new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'ADMIN' }] });
const memberOf = (teamId: string) => new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'MEMBER' }] });
const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code ?? String(e));

async function teamWithCard(token = 'tok_visa') {
  const teamId = randomUUID();
  const admin = adminOf(teamId);
  const method = await services.paymentMethods.add(admin, teamId, token);
  return { teamId, admin, method };
}

async function ledgerRows(teamId: string): Promise<number> {
  const [row] = await billing.app.infra.dataSource.query('SELECT count(*)::int AS n FROM billing.ledger_entries WHERE team_id = $1', [teamId]);
  return row.n;
}

async function prepaid(teamId: string): Promise<bigint> {
  const [b] = await services.balances.balancesOf([teamId]);
  return b.prepaidTicks;
}

describe('payment methods', () => {
  it('stores brand, last four and country from the processor token', async () => {
    const { teamId, method } = await teamWithCard('tok_mastercard');
    expect(method).toMatchObject({ teamId, brand: 'mastercard', last4: '4444', country: 'US' });
    expect(await services.paymentMethods.ofTeams([teamId])).toHaveLength(1);
  });

  it('refuses an Indian card before any charge, storing nothing', async () => {
    const teamId = randomUUID();
    const attempts = (services.processor as LocalPaymentProcessor).chargeAttempts.length;
    expect(await codeOf(services.paymentMethods.add(adminOf(teamId), teamId, 'tok_in'))).toBe('CARD_COUNTRY_NOT_SUPPORTED');
    expect(await services.paymentMethods.ofTeams([teamId])).toHaveLength(0);
    expect((services.processor as LocalPaymentProcessor).chargeAttempts.length).toBe(attempts);
  });

  it('refuses card numbers, unknown tokens and members', async () => {
    const teamId = randomUUID();
    expect(await codeOf(services.paymentMethods.add(adminOf(teamId), teamId, '4242 4242 4242 4242'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(services.paymentMethods.add(adminOf(teamId), teamId, 'tok_nope'))).toBe('INVALID_PAYMENT_TOKEN');
    expect(await codeOf(services.paymentMethods.add(memberOf(teamId), teamId, 'tok_visa'))).toBe('FORBIDDEN');
    expect(await services.paymentMethods.ofTeams([teamId])).toHaveLength(0);
  });
});

describe('purchaseCredits', () => {
  it('adds the credits once per idempotency key and returns the first result on a retry', async () => {
    const { teamId, admin, method } = await teamWithCard();
    const request = { teamId, amountTicks: 25n * USD, paymentMethodId: method.id, idempotencyKey: 'buy-1' };
    const first = await services.purchases.purchase(admin, request);
    const again = await services.purchases.purchase(admin, request);
    expect(first.status).toBe('SUCCEEDED');
    expect(again.id).toBe(first.id);
    expect(await prepaid(teamId)).toBe(25n * USD);
    expect(await ledgerRows(teamId)).toBe(1);
  });

  it('charges once when the same key arrives many times at once', async () => {
    const { teamId, admin, method } = await teamWithCard();
    const request = { teamId, amountTicks: 10n * USD, paymentMethodId: method.id, idempotencyKey: 'burst' };
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => services.purchases.purchase(admin, request)));
    const ids = new Set(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ id: string }>).value.id));
    expect(ids.size).toBe(1);
    expect(await prepaid(teamId)).toBe(10n * USD);
    expect(await ledgerRows(teamId)).toBe(1);
  });

  it('refuses the same key with different parameters', async () => {
    const { teamId, admin, method } = await teamWithCard();
    await services.purchases.purchase(admin, { teamId, amountTicks: 5n * USD, paymentMethodId: method.id, idempotencyKey: 'k' });
    expect(await codeOf(services.purchases.purchase(admin, { teamId, amountTicks: 6n * USD, paymentMethodId: method.id, idempotencyKey: 'k' }))).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await prepaid(teamId)).toBe(5n * USD);
  });

  it('adds nothing for a declined charge, and keeps answering the same key with the decline', async () => {
    const { teamId, admin, method } = await teamWithCard('tok_chargeDeclined');
    const request = { teamId, amountTicks: 5n * USD, paymentMethodId: method.id, idempotencyKey: 'declined' };
    expect(await codeOf(services.purchases.purchase(admin, request))).toBe('CARD_DECLINED');
    const attempts = (services.processor as LocalPaymentProcessor).chargeAttempts.length;
    expect(await codeOf(services.purchases.purchase(admin, request))).toBe('CARD_DECLINED');
    expect((services.processor as LocalPaymentProcessor).chargeAttempts.length).toBe(attempts);
    expect(await prepaid(teamId)).toBe(0n);
    expect(await ledgerRows(teamId)).toBe(0);
  });

  it('waits for 3-D Secure: nothing is added until the purchase is confirmed, then exactly once', async () => {
    const { teamId, admin, method } = await teamWithCard('tok_threeDSecureRequired');
    const pending = await services.purchases.purchase(admin, { teamId, amountTicks: 7n * USD, paymentMethodId: method.id, idempotencyKey: '3ds' });
    expect(pending.status).toBe('REQUIRES_CONFIRMATION');
    expect(await prepaid(teamId)).toBe(0n);
    const [a, b] = await Promise.all([services.purchases.confirm(admin, teamId, pending.id), services.purchases.confirm(admin, teamId, pending.id)]);
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await prepaid(teamId)).toBe(7n * USD);
    expect(await ledgerRows(teamId)).toBe(1);
  });

  it.each([
    ['zero', 0n],
    ['negative', -USD],
    ['below $1', USD / 2n],
    ['fractions of a cent', USD + 1n],
  ])('refuses a %s amount with BAD_USER_INPUT', async (_name, amountTicks) => {
    const { teamId, admin, method } = await teamWithCard();
    expect(await codeOf(services.purchases.purchase(admin, { teamId, amountTicks, paymentMethodId: method.id, idempotencyKey: 'x' }))).toBe('BAD_USER_INPUT');
    expect(await ledgerRows(teamId)).toBe(0);
  });

  it("refuses another team's payment method and members", async () => {
    const mine = await teamWithCard();
    const theirs = await teamWithCard();
    expect(await codeOf(services.purchases.purchase(mine.admin, { teamId: mine.teamId, amountTicks: USD, paymentMethodId: theirs.method.id, idempotencyKey: 'y' }))).toBe('NOT_FOUND');
    expect(await codeOf(services.purchases.purchase(memberOf(mine.teamId), { teamId: mine.teamId, amountTicks: USD, paymentMethodId: mine.method.id, idempotencyKey: 'z' }))).toBe('FORBIDDEN');
    expect(await prepaid(mine.teamId)).toBe(0n);
  });
});
