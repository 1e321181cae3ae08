import { randomUUID } from 'node:crypto';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { BillingServices } from '../billing.context';
import { billingSubgraph } from '../billing.subgraph';

let billing: StartedSubgraph<BillingServices>;

beforeAll(async () => {
  billing = await startSubgraph(billingSubgraph, { app: { consumers: false, relay: false } });
});

afterAll(async () => {
  await billing?.stop();
});

describe('credit ledger', () => {
  it('keeps the stored balance equal to the ledger recomputed, under concurrent postings', async () => {
    const teamId = randomUUID();
    const amounts = Array.from({ length: 40 }, (_, i) => BigInt((i % 7) * 1_000_000_007 - 2_000_000_000));
    await Promise.all(amounts.map((delta) => billing.app.services.balances.post({ teamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: delta, actor: null })));
    const [stored] = await billing.app.services.balances.balancesOf([teamId]);
    const recomputed = await billing.app.services.balances.recompute(teamId);
    const expected = amounts.reduce((a, b) => a + b, 0n);
    expect(stored.prepaidTicks).toBe(expected);
    expect(recomputed.prepaidTicks).toBe(expected);
  });

  it('keeps integer amounts above 2^53 exact', async () => {
    const teamId = randomUUID();
    const big = 9_007_199_254_740_993n; // 2^53 + 1: not representable as a double
    await billing.app.services.balances.post({ teamId, kind: 'PURCHASE', prepaidDeltaTicks: big, actor: null });
    const [stored] = await billing.app.services.balances.balancesOf([teamId]);
    expect(stored.prepaidTicks).toBe(big);
  });

  it('reports a zero balance for a team with no ledger entries', async () => {
    const [balance] = await billing.app.services.balances.balancesOf([randomUUID()]);
    expect(balance.prepaidTicks).toBe(0n);
    expect(balance.invoicedThisPeriodTicks).toBe(0n);
  });
});
