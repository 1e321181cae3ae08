import fc from 'fast-check';
import { loadBillingConfig } from '../../kit/config';
import { GroupCommit } from './group-commit';
import { charge, costOf, meter, price, type Account, type PricedUsage, type Verdict } from './usage-rules';

const prices = loadBillingConfig({}).prices;

describe('cost of a request', () => {
  it('adds the model’s pre-defined prompt tokens and charges cached tokens at the cached price', () => {
    const p = prices['grok-4'];
    // (1000 - 200 + 28) × 30,000 + 200 × 7,500 + 500 × 150,000 ticks
    expect(costOf({ promptTokens: 1000, cachedPromptTokens: 200, completionTokens: 500 }, p)).toBe(828n * 30_000n + 200n * 7_500n + 500n * 150_000n);
  });

  it.each([
    [{ model: 'nope' }, 'UNKNOWN_MODEL'],
    [{ model: 'toString' }, 'UNKNOWN_MODEL'],
    [{ promptTokens: -1 }, 'BAD_USER_INPUT'],
    [{ promptTokens: 1.5 }, 'BAD_USER_INPUT'],
    [{ cachedPromptTokens: 11 }, 'BAD_USER_INPUT'],
    [{ requestId: '' }, 'BAD_USER_INPUT'],
    [{ occurredAt: new Date(Date.now() + 3_600_000) }, 'BAD_USER_INPUT'],
  ])('rejects %j with %s', (override, code) => {
    const base = { requestId: 'r', teamId: 't', apiKeyId: 'k', model: 'grok-4', promptTokens: 10, cachedPromptTokens: 0, completionTokens: 1, occurredAt: new Date() };
    expect(price({ ...base, ...override }, prices, new Date())).toMatchObject({ outcome: 'rejected', code });
  });
});

describe('charging one account', () => {
  it('takes prepaid first, then invoices the rest up to the limit', () => {
    const a: Account = { prepaidTicks: 30n, invoicedTicks: 0n, limitTicks: 50n };
    expect(charge(a, 40n)).toEqual({ outcome: 'accepted', prepaidTicks: 30n, invoicedTicks: 10n });
    expect(a).toEqual({ prepaidTicks: 0n, invoicedTicks: 10n, limitTicks: 50n });
  });

  it('rejects whole: INSUFFICIENT_CREDITS without invoicing, SPENDING_LIMIT_REACHED over the limit', () => {
    const noInvoice: Account = { prepaidTicks: 30n, invoicedTicks: 0n, limitTicks: 0n };
    expect(charge(noInvoice, 31n)).toMatchObject({ outcome: 'rejected', code: 'INSUFFICIENT_CREDITS' });
    expect(noInvoice.prepaidTicks).toBe(30n);
    const limited: Account = { prepaidTicks: 0n, invoicedTicks: 45n, limitTicks: 50n };
    expect(charge(limited, 6n)).toMatchObject({ outcome: 'rejected', code: 'SPENDING_LIMIT_REACHED' });
    expect(charge(limited, 5n)).toMatchObject({ outcome: 'accepted', invoicedTicks: 5n });
  });
});

/** Events from several reporters: request ids from a small pool, so retries and duplicates happen. */
const reporterEvents = fc.array(
  fc.array(fc.record({ id: fc.integer({ min: 0, max: 40 }), team: fc.constantFrom('a', 'b'), cost: fc.bigInt({ min: 0n, max: 40n }) }), { maxLength: 30 }),
  { minLength: 1, maxLength: 6 },
);
const accountsArb = fc.record({ a: fc.tuple(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: 200n })), b: fc.tuple(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: 200n })) });

const toUsage = (e: { id: number; team: string; cost: bigint }): PricedUsage => ({
  requestId: `r${e.id}`,
  teamId: e.team,
  apiKeyId: 'k',
  model: 'm',
  promptTokens: 0,
  cachedPromptTokens: 0,
  completionTokens: 0,
  occurredAt: new Date(0),
  predefinedPromptTokens: 0,
  costTicks: e.cost,
});

function freshAccounts(init: { a: [bigint, bigint]; b: [bigint, bigint] }): Map<string, Account> {
  return new Map(Object.entries(init).map(([team, [prepaid, limit]]) => [team, { prepaidTicks: prepaid, invoicedTicks: 0n, limitTicks: limit }]));
}

/** The rules, one event at a time, written independently of `meter`. */
function reference(init: { a: [bigint, bigint]; b: [bigint, bigint] }, events: PricedUsage[]) {
  const state = freshAccounts(init);
  const billed = new Set<string>();
  const verdicts = events.map((e) => {
    if (billed.has(e.requestId)) return 'duplicate';
    const s = state.get(e.teamId)!;
    const available = s.prepaidTicks + (s.limitTicks - s.invoicedTicks);
    if (e.costTicks > available) return 'rejected';
    const fromPrepaid = e.costTicks < s.prepaidTicks ? e.costTicks : s.prepaidTicks;
    s.prepaidTicks -= fromPrepaid;
    s.invoicedTicks += e.costTicks - fromPrepaid;
    billed.add(e.requestId);
    return 'accepted';
  });
  return { state, verdicts };
}

function checkInvariants(init: { a: [bigint, bigint]; b: [bigint, bigint] }, events: PricedUsage[], verdicts: Verdict[], accounts: Map<string, Account>) {
  const acceptedIds = events.filter((_, i) => verdicts[i].outcome === 'accepted').map((e) => e.requestId);
  expect(new Set(acceptedIds).size).toBe(acceptedIds.length); // nothing billed twice
  // every request id submitted is billed once unless every attempt at it was rejected
  for (const id of new Set(events.map((e) => e.requestId))) {
    const outcomes = events.map((e, i) => (e.requestId === id ? verdicts[i].outcome : null)).filter(Boolean);
    expect(outcomes.includes('accepted') || outcomes.every((o) => o === 'rejected')).toBe(true);
  }
  for (const team of ['a', 'b'] as const) {
    const s = accounts.get(team)!;
    expect(s.prepaidTicks).toBeGreaterThanOrEqual(0n);
    expect(s.invoicedTicks).toBeLessThanOrEqual(s.limitTicks);
    const spent = events.reduce((sum, e, i) => (e.teamId === team && verdicts[i].outcome === 'accepted' ? sum + e.costTicks : sum), 0n);
    expect(init[team][0] - s.prepaidTicks + s.invoicedTicks).toBe(spent); // nothing lost or invented
  }
}

describe('metering under random interleavings and batchings (property)', () => {
  it('keeps credits ≥ 0, invoiced ≤ limit, bills each request at most once, and matches one-at-a-time processing', () => {
    fc.assert(
      fc.property(accountsArb, reporterEvents, fc.infiniteStream(fc.nat()), fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1 }), (init, reporters, picks, batchSizes) => {
        // A random interleaving of the reporters' streams (each reporter's own order kept).
        const queues = reporters.map((r) => r.map(toUsage));
        const order: PricedUsage[] = [];
        const pick = picks[Symbol.iterator]();
        while (queues.some((q) => q.length)) {
          const live = queues.filter((q) => q.length);
          order.push(live[(pick.next().value as number) % live.length].shift()!);
        }
        // Cut into consecutive batches of random sizes, as group commit does.
        const accounts = freshAccounts(init);
        const billed = new Set<string>();
        const verdicts: Verdict[] = [];
        for (let i = 0, b = 0; i < order.length; b++) {
          const size = batchSizes[b % batchSizes.length];
          verdicts.push(...meter(accounts, order.slice(i, i + size), billed));
          i += size;
        }
        const ref = reference(init, order);
        expect(verdicts.map((v) => v.outcome)).toEqual(ref.verdicts);
        expect([...accounts.entries()]).toEqual([...ref.state.entries()]);
        checkInvariants(init, order, verdicts, accounts);
      }),
      { numRuns: 300 },
    );
  });

  it('loses and doubles nothing when reporters submit concurrently through group commit, in any scheduling', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), accountsArb, reporterEvents, async (s, init, reporters) => {
        const accounts = freshAccounts(init);
        const billed = new Set<string>();
        const processed: PricedUsage[] = [];
        const allVerdicts: Verdict[] = [];
        // Each batch's commit is a scheduled task, so fast-check decides how submits and commits interleave.
        const commit = new GroupCommit<PricedUsage, Verdict>(
          s.scheduleFunction(async (items: PricedUsage[]) => {
            const v = meter(accounts, items, billed);
            processed.push(...items);
            allVerdicts.push(...v);
            return v;
          }),
          4,
        );
        const calls = reporters.map((events) => s.schedule(Promise.resolve()).then(() => commit.submit(events.map(toUsage))));
        await s.waitFor(Promise.all(calls));
        const results = await Promise.all(calls);
        expect(results.flat().length).toBe(reporters.flat().length); // every submitted event got its answer
        expect(processed.length).toBe(reporters.flat().length);
        checkInvariants(init, processed, allVerdicts, accounts);
      }),
      { numRuns: 150 },
    );
  });
});
