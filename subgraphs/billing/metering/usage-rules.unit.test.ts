import fc from 'fast-check';
import { loadBillingConfig } from '../../kit/config';
import { GroupCommit } from './group-commit';
import { charge, costOf, meter, price, refusalOf, type Account, type KeyAccount, type PricedUsage, type Verdict } from './usage-rules';

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

/**
 * Keys: two of team a and one of team b, each with a random monthly cap or none; one of team b
 * revoked from t=2; and an id billing does not know.
 */
const KEY_IDS = ['ka1', 'ka2', 'kb', 'krev', 'kx'] as const;
const capArb = fc.option(fc.bigInt({ min: 0n, max: 150n }), { nil: null });
const keysArb = fc.record({ ka1: capArb, ka2: capArb, kb: capArb, krev: capArb });
type Caps = { ka1: bigint | null; ka2: bigint | null; kb: bigint | null; krev: bigint | null };

function freshKeys(caps: Caps): Map<string, KeyAccount> {
  const key = (teamId: string, capTicks: bigint | null, revokedAt: Date | null = null): KeyAccount => ({ teamId, disabledAt: null, revokedAt, capTicks, spentTicks: 0n });
  return new Map([
    ['ka1', key('a', caps.ka1)],
    ['ka2', key('a', caps.ka2)],
    ['kb', key('b', caps.kb)],
    ['krev', key('b', caps.krev, new Date(2))],
  ]);
}

/** Events from several reporters: request ids from a small pool, so retries and duplicates happen. */
const reporterEvents = fc.array(
  fc.array(
    fc.record({
      id: fc.integer({ min: 0, max: 40 }),
      key: fc.constantFrom(...KEY_IDS),
      // Usually no team or the key's own; sometimes another team's, which must never be charged.
      claimed: fc.constantFrom(null, null, 'own', 'own', 'a', 'b'),
      at: fc.integer({ min: 0, max: 3 }),
      cost: fc.bigInt({ min: 0n, max: 40n }),
    }),
    { maxLength: 30 },
  ),
  { minLength: 1, maxLength: 6 },
);
type RawEvent = { id: number; key: string; claimed: string | null; at: number; cost: bigint };
const accountsArb = fc.record({ a: fc.tuple(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: 200n })), b: fc.tuple(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: 200n })) });
const teamOfKey: Record<string, string | undefined> = { ka1: 'a', ka2: 'a', kb: 'b', krev: 'b' };
const toUsage = (e: RawEvent): PricedUsage => ({
  requestId: `r${e.id}`,
  teamId: e.claimed === 'own' ? (teamOfKey[e.key] ?? 'a') : e.claimed,
  apiKeyId: e.key,
  model: 'm',
  promptTokens: 0,
  cachedPromptTokens: 0,
  completionTokens: 0,
  occurredAt: new Date(e.at),
  predefinedPromptTokens: 0,
  costTicks: e.cost,
});

function freshAccounts(init: { a: [bigint, bigint]; b: [bigint, bigint] }): Map<string, Account> {
  return new Map(Object.entries(init).map(([team, [prepaid, limit]]) => [team, { prepaidTicks: prepaid, invoicedTicks: 0n, limitTicks: limit }]));
}

/** The rules, one event at a time, written independently of `meter`: the outcome or rejection code of each event. */
function reference(init: { a: [bigint, bigint]; b: [bigint, bigint] }, caps: Caps, events: PricedUsage[]) {
  const state = freshAccounts(init);
  const spentByKey = new Map<string, bigint>();
  const billed = new Set<string>();
  const verdicts = events.map((e) => {
    if (billed.has(e.requestId)) return 'duplicate';
    const team = teamOfKey[e.apiKeyId];
    if (!team) return 'UNKNOWN_API_KEY';
    if (e.teamId != null && e.teamId !== team) return 'API_KEY_TEAM_MISMATCH';
    if (e.apiKeyId === 'krev' && e.occurredAt.getTime() >= 2) return 'API_KEY_REVOKED';
    const cap = caps[e.apiKeyId as keyof Caps];
    const keySpent = spentByKey.get(e.apiKeyId) ?? 0n;
    if (cap !== null && keySpent + e.costTicks > cap) return 'API_KEY_SPEND_CAP_REACHED';
    const s = state.get(team)!;
    if (e.costTicks > s.prepaidTicks && s.limitTicks <= 0n) return 'INSUFFICIENT_CREDITS';
    if (e.costTicks > s.prepaidTicks + (s.limitTicks - s.invoicedTicks)) return 'SPENDING_LIMIT_REACHED';
    const fromPrepaid = e.costTicks < s.prepaidTicks ? e.costTicks : s.prepaidTicks;
    s.prepaidTicks -= fromPrepaid;
    s.invoicedTicks += e.costTicks - fromPrepaid;
    spentByKey.set(e.apiKeyId, keySpent + e.costTicks);
    billed.add(e.requestId);
    return 'accepted';
  });
  return { state, verdicts, spentByKey };
}

const outcomeOf = (v: Verdict) => (v.outcome === 'rejected' ? v.code : v.outcome);

function checkInvariants(init: { a: [bigint, bigint]; b: [bigint, bigint] }, events: PricedUsage[], verdicts: Verdict[], accounts: Map<string, Account>, keys: Map<string, KeyAccount>) {
  const acceptedIds = events.filter((_, i) => verdicts[i].outcome === 'accepted').map((e) => e.requestId);
  expect(new Set(acceptedIds).size).toBe(acceptedIds.length); // nothing billed twice
  // every request id submitted is billed once unless every attempt at it was rejected
  for (const id of new Set(events.map((e) => e.requestId))) {
    const outcomes = events.map((e, i) => (e.requestId === id ? verdicts[i].outcome : null)).filter(Boolean);
    expect(outcomes.includes('accepted') || outcomes.every((o) => o === 'rejected')).toBe(true);
  }
  events.forEach((e, i) => {
    const v = verdicts[i];
    if (v.outcome !== 'accepted') return;
    // Only the key's own team is ever charged, whatever team the event names.
    expect(v.teamId).toBe(teamOfKey[e.apiKeyId]);
    expect(e.teamId == null || e.teamId === v.teamId).toBe(true);
    expect(e.apiKeyId === 'krev' && e.occurredAt.getTime() >= 2).toBe(false);
  });
  for (const team of ['a', 'b'] as const) {
    const s = accounts.get(team)!;
    expect(s.prepaidTicks).toBeGreaterThanOrEqual(0n);
    expect(s.invoicedTicks).toBeLessThanOrEqual(s.limitTicks);
    const spent = events.reduce((sum, e, i) => (verdicts[i].outcome === 'accepted' && teamOfKey[e.apiKeyId] === team ? sum + e.costTicks : sum), 0n);
    expect(init[team][0] - s.prepaidTicks + s.invoicedTicks).toBe(spent); // nothing lost or invented
  }
  for (const [id, key] of keys) {
    const spent = events.reduce((sum, e, i) => (verdicts[i].outcome === 'accepted' && e.apiKeyId === id ? sum + e.costTicks : sum), 0n);
    expect(key.spentTicks).toBe(spent);
    if (key.capTicks !== null) expect(key.spentTicks).toBeLessThanOrEqual(key.capTicks); // the cap holds exactly
  }
}

describe('metering under random interleavings and batchings (property)', () => {
  it('keeps credits ≥ 0, invoiced ≤ limit, each key within its cap and its own team, bills each request at most once, and matches one-at-a-time processing', () => {
    fc.assert(
      fc.property(accountsArb, keysArb, reporterEvents, fc.infiniteStream(fc.nat()), fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1 }), (init, caps, reporters, picks, batchSizes) => {
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
        const keys = freshKeys(caps);
        const billed = new Set<string>();
        const verdicts: Verdict[] = [];
        for (let i = 0, b = 0; i < order.length; b++) {
          const size = batchSizes[b % batchSizes.length];
          verdicts.push(...meter(accounts, keys, order.slice(i, i + size), billed));
          i += size;
        }
        const ref = reference(init, caps, order);
        expect(verdicts.map(outcomeOf)).toEqual(ref.verdicts);
        expect([...accounts.entries()]).toEqual([...ref.state.entries()]);
        for (const [id, key] of keys) expect(key.spentTicks).toBe(ref.spentByKey.get(id) ?? 0n);
        checkInvariants(init, order, verdicts, accounts, keys);
      }),
      { numRuns: 300 },
    );
  });

  it('loses and doubles nothing, and keeps every cap, when reporters submit concurrently through group commit (one or two batches in flight), in any scheduling', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.constantFrom(1, 2), accountsArb, keysArb, reporterEvents, async (s, depth, init, caps, reporters) => {
        const accounts = freshAccounts(init);
        const keys = freshKeys(caps);
        const billed = new Set<string>();
        const processed: PricedUsage[] = [];
        const allVerdicts: Verdict[] = [];
        // Each batch's commit is a scheduled task, so fast-check decides how submits and commits interleave.
        const commit = new GroupCommit<PricedUsage, Verdict>(
          s.scheduleFunction(async (items: PricedUsage[]) => {
            const v = meter(accounts, keys, items, billed);
            processed.push(...items);
            allVerdicts.push(...v);
            return v;
          }),
          4,
          depth,
        );
        const calls = reporters.map((events) => s.schedule(Promise.resolve()).then(() => commit.submit(events.map(toUsage))));
        await s.waitFor(Promise.all(calls));
        const results = await Promise.all(calls);
        expect(results.flat().length).toBe(reporters.flat().length); // every submitted event got its answer
        expect(processed.length).toBe(reporters.flat().length);
        checkInvariants(init, processed, allVerdicts, accounts, keys);
      }),
      { numRuns: 150 },
    );
  });
});

describe('refusals tied to the API key', () => {
  const usage = (over: Partial<PricedUsage>): PricedUsage => ({ ...toUsage({ id: 1, key: 'ka1', claimed: null, at: 1, cost: 10n }), ...over });
  const key = (over: Partial<KeyAccount> = {}): KeyAccount => ({ teamId: 'a', disabledAt: null, revokedAt: null, capTicks: null, spentTicks: 0n, ...over });

  it('refuses unknown keys (retryably), another team’s key, and keys revoked or disabled before the request, and caps spend exactly', () => {
    expect(refusalOf(undefined, usage({}))).toMatchObject({ code: 'UNKNOWN_API_KEY' });
    expect(refusalOf(key(), usage({ teamId: 'b' }))).toMatchObject({ code: 'API_KEY_TEAM_MISMATCH' });
    expect(refusalOf(key(), usage({ teamId: 'a' }))).toBeUndefined();
    expect(refusalOf(key({ revokedAt: new Date(5) }), usage({ occurredAt: new Date(4) }))).toBeUndefined(); // made before: still billed
    expect(refusalOf(key({ revokedAt: new Date(5) }), usage({ occurredAt: new Date(5) }))).toMatchObject({ code: 'API_KEY_REVOKED' });
    expect(refusalOf(key({ disabledAt: new Date(5) }), usage({ occurredAt: new Date(9) }))).toMatchObject({ code: 'API_KEY_REVOKED' });
    expect(refusalOf(key({ capTicks: 100n, spentTicks: 90n }), usage({ costTicks: 10n }))).toBeUndefined();
    expect(refusalOf(key({ capTicks: 100n, spentTicks: 90n }), usage({ costTicks: 11n }))).toMatchObject({ code: 'API_KEY_SPEND_CAP_REACHED' });
  });

  it('charges the key’s team, never the team an event names, and charges nothing for a refused event', () => {
    const accounts = new Map<string, Account>([
      ['a', { prepaidTicks: 100n, invoicedTicks: 0n, limitTicks: 0n }],
      ['b', { prepaidTicks: 100n, invoicedTicks: 0n, limitTicks: 0n }],
    ]);
    const keys = new Map([['kb', key({ teamId: 'b', capTicks: 15n })]]);
    const verdicts = meter(accounts, keys, [usage({ requestId: '1', apiKeyId: 'kb', teamId: 'a' }), usage({ requestId: '2', apiKeyId: 'kb' }), usage({ requestId: '3', apiKeyId: 'kb' })], new Set());
    expect(verdicts.map(outcomeOf)).toEqual(['API_KEY_TEAM_MISMATCH', 'accepted', 'API_KEY_SPEND_CAP_REACHED']);
    expect(verdicts[1]).toMatchObject({ teamId: 'b' });
    expect([accounts.get('a')!.prepaidTicks, accounts.get('b')!.prepaidTicks, keys.get('kb')!.spentTicks]).toEqual([100n, 90n, 10n]);
  });
});
