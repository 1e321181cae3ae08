import { createHash, randomUUID } from 'node:crypto';
import type { UsageRecordedPayload } from '../../kit/events';
import { Session } from '../../kit/session';
import { registerApiKey } from '../../../test/support/billing-keys';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { BillingServices } from '../billing.context';
import { billingSubgraph } from '../billing.subgraph';
import type { UsageEvent } from './usage-rules';
import { toMessage, type BalanceMessage } from '../balance/credit-balance.view';

let replicaA: StartedSubgraph<BillingServices>;
let replicaB: StartedSubgraph<BillingServices>;
const reporter = new Session({ kind: 'service', service: 'usage-reporter' });
// A test price: every request costs exactly 1,000 ticks (10 prompt tokens at 100).
const prices = { flat: { promptTicksPerToken: 100n, cachedPromptTicksPerToken: 10n, completionTicksPerToken: 0n, predefinedPromptTokens: 0 } };
const COST = 1000n;

beforeAll(async () => {
  replicaA = await startSubgraph(billingSubgraph, { app: { consumers: false, relay: false }, billing: { prices } });
  // A second replica on the same database: its own pool and its own group commit.
  replicaB = await startSubgraph(billingSubgraph, { db: replicaA.db, app: { consumers: false, relay: false }, billing: { prices } });
});

afterAll(async () => {
  await replicaB?.stop();
  await replicaA?.stop();
});

/** One API key per team, known to billing through Team's key-created event. */
const keyOf = new Map<string, string>();

async function registerKey(teamId: string): Promise<string> {
  const keyId = await registerApiKey(replicaA.app, teamId);
  keyOf.set(teamId, keyId);
  return keyId;
}

const event = (teamId: string, requestId: string): UsageEvent => ({
  requestId,
  teamId,
  apiKeyId: keyOf.get(teamId) ?? 'unregistered',
  model: 'flat',
  promptTokens: 10,
  cachedPromptTokens: 0,
  completionTokens: 3,
  occurredAt: new Date(),
});

async function fund(teamId: string, prepaid: bigint, limit: bigint) {
  const services = replicaA.app.services;
  await registerKey(teamId);
  if (prepaid) await services.balances.post({ teamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: prepaid, actor: null });
  const admin = new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'ADMIN' }] });
  await services.balances.setInvoicedSpendingLimit(admin, teamId, limit);
}

const query = (sql: string, params: unknown[]) => replicaA.app.infra.dataSource.query(sql, params);

describe('recordUsage on real PostgreSQL', () => {
  it('writes one billing.usage.recorded event per team with the billed requests, their sizes and body digest, in the billing transaction', async () => {
    const teamId = randomUUID();
    await fund(teamId, 10_000n, 0n);
    const withBodies = { ...event(teamId, `log-${teamId}-1`), log: { requestBody: '{"q":1}', responseBody: '{"a":2}' } };
    const withDigest = { ...event(teamId, `log-${teamId}-2`), log: { requestBytes: 10, responseBytes: 20, bodyDigest: 'ab'.repeat(32) } };
    const result = await replicaA.app.services.metering.record(reporter, [withBodies, withDigest]);
    expect(result.accepted).toBe(2);
    const rows: { envelope: { payload: UsageRecordedPayload } }[] = await query(
      `SELECT envelope FROM billing.outbox WHERE type = 'billing.usage.recorded' AND envelope->>'teamId' = $1`,
      [teamId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].envelope.payload.columns).toMatchObject({
      requestId: [withBodies.requestId, withDigest.requestId],
      requestBytes: [7, 10],
      responseBytes: [7, 20],
      bodyDigest: [createHash('sha256').update('{"q":1}').update('\0').update('{"a":2}').digest('hex'), 'ab'.repeat(32)],
      requestBody: ['{"q":1}', null],
    });
    // A duplicate request id is billed (and logged) once.
    expect(await replicaA.app.services.metering.record(reporter, [withBodies])).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await query(`SELECT 1 FROM billing.outbox WHERE type = 'billing.usage.recorded' AND envelope->>'teamId' = $1`, [teamId])).toHaveLength(1);
  });

  it("announces a batch's debit live, and as no balance event: the team's audit log holds actions, not every metering batch", async () => {
    const teamId = randomUUID();
    await fund(teamId, 10_000n, 0n);
    const before: { n: number }[] = await query(`SELECT count(*)::int AS n FROM billing.outbox WHERE type = 'billing.balance.changed' AND envelope->>'teamId' = $1`, [teamId]);
    await replicaA.app.infra.live.start();
    const live = replicaA.app.infra.live.subscribe<BalanceMessage>(`balance:${teamId}`);
    // The funding's own pushes may still be arriving: wait for the one that shows the debit.
    const debited = String(10_000n - COST);
    const pushed = (async () => {
      for await (const message of live) if (message.prepaidTicks === debited) return message;
    })();
    expect(await replicaA.app.services.metering.record(reporter, [event(teamId, `quiet-${teamId}`)])).toMatchObject({ accepted: 1 });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no live push of the debited balance')), 5000).unref());
    const message = await Promise.race([pushed, timeout]);
    // The push is the balance as stored, every field of it.
    const [stored] = await replicaA.app.services.balances.balancesOf([teamId]);
    expect(message).toEqual(toMessage(stored));
    await live.return?.(undefined);
    const after: { type: string }[] = await query(`SELECT type FROM billing.outbox WHERE envelope->>'teamId' = $1 AND seq > (SELECT max(seq) FROM billing.outbox WHERE type = 'billing.balance.changed' AND envelope->>'teamId' = $1)`, [teamId]);
    expect(before[0].n).toBeGreaterThan(0); // funding announced its changes
    expect(after.map((r) => r.type)).toEqual(['billing.usage.recorded']);
  });

  it('logs a batch without sizes, digests or bodies with the required columns only', async () => {
    const teamId = randomUUID();
    await fund(teamId, 10_000n, 0n);
    await replicaA.app.services.metering.record(reporter, [event(teamId, `plain-${teamId}-1`), event(teamId, `plain-${teamId}-2`)]);
    const [{ envelope }]: { envelope: { payload: UsageRecordedPayload } }[] = await query(
      `SELECT envelope FROM billing.outbox WHERE type = 'billing.usage.recorded' AND envelope->>'teamId' = $1`,
      [teamId],
    );
    expect(Object.keys(envelope.payload.columns!).sort()).toEqual(['apiKeyId', 'cachedPromptTokens', 'completionTokens', 'model', 'occurredAtMs', 'promptTokens', 'requestId']);
    expect(envelope.payload.columns!.requestId).toEqual([`plain-${teamId}-1`, `plain-${teamId}-2`]);
  });

  it('bills the new requests of a batch that repeats a billed one, and the billed one not again', async () => {
    const teamId = randomUUID();
    await fund(teamId, 10_000n, 0n);
    await replicaA.app.services.metering.record(reporter, [event(teamId, `again-${teamId}-1`)]);
    const result = await replicaA.app.services.metering.record(reporter, [1, 2, 3].map((i) => event(teamId, `again-${teamId}-${i}`)));
    expect(result).toMatchObject({ accepted: 2, duplicates: 1, rejected: [] });
    const [b] = await replicaA.app.services.balances.balancesOf([teamId]);
    expect(b.prepaidTicks).toBe(7000n);
    const [{ n }] = await query('SELECT count(*)::int AS n FROM billing.usage_events WHERE team_id = $1', [teamId]);
    expect(n).toBe(3);
  });

  it('bills prepaid first, then invoiced usage up to the limit, and rejects the rest whole', async () => {
    const teamId = randomUUID();
    await fund(teamId, 2500n, 1000n);
    const result = await replicaA.app.services.metering.record(reporter, [1, 2, 3, 4, 5].map((i) => event(teamId, `seq-${teamId}-${i}`)));
    expect(result.accepted).toBe(3); // 1000 + 1000 prepaid, 500 prepaid + 500 invoiced
    expect(result.rejected.map((r) => r.code)).toEqual(['SPENDING_LIMIT_REACHED', 'SPENDING_LIMIT_REACHED']);
    const [b] = await replicaA.app.services.balances.balancesOf([teamId]);
    expect([b.prepaidTicks, b.invoicedThisPeriodTicks]).toEqual([0n, 500n]);
    const noInvoicing = randomUUID();
    await fund(noInvoicing, 500n, 0n);
    const refused = await replicaA.app.services.metering.record(reporter, [event(noInvoicing, `x-${noInvoicing}`)]);
    expect(refused.rejected[0].code).toBe('INSUFFICIENT_CREDITS');
    const [[{ n }]] = [await query('SELECT count(*)::int AS n FROM billing.usage_events WHERE team_id = $1', [noInvoicing])];
    expect(n).toBe(0);
  });

  it('bills a request id at most once, ever', async () => {
    const teamId = randomUUID();
    await fund(teamId, 10_000n, 0n);
    const first = await replicaA.app.services.metering.record(reporter, [event(teamId, `once-${teamId}`), event(teamId, `once-${teamId}`)]);
    const later = await replicaB.app.services.metering.record(reporter, [event(teamId, `once-${teamId}`)]);
    expect([first.accepted, first.duplicates, later.accepted, later.duplicates]).toEqual([1, 1, 0, 1]);
  });

  it('keeps every rule exact when many reporters hammer one team through two replicas', async () => {
    const teamId = randomUUID();
    const prepaidUnits = 300n;
    const limitUnits = 150n;
    await fund(teamId, prepaidUnits * COST, limitUnits * COST);
    const distinct = 700;
    // 24 reporters × 40 events; ids overlap between reporters (retries), so some are duplicates.
    const calls = Array.from({ length: 24 }, (_, r) => {
      const events = Array.from({ length: 40 }, (_, i) => event(teamId, `hot-${teamId}-${(r * 29 + i * 7) % distinct}`));
      const replica = r % 2 === 0 ? replicaA : replicaB;
      return replica.app.services.metering.record(reporter, events);
    });
    const results = await Promise.all(calls);
    const accepted = results.reduce((s, r) => s + r.accepted, 0);
    const submitted = 24 * 40;
    expect(results.reduce((s, r) => s + r.accepted + r.duplicates + r.rejected.length, 0)).toBe(submitted); // every event answered
    expect(accepted).toBe(Number(prepaidUnits + limitUnits)); // exactly what fits: nothing lost, nothing over
    expect(results.flatMap((r) => r.rejected.map((x) => x.code)).every((c) => c === 'SPENDING_LIMIT_REACHED')).toBe(true);

    const [b] = await replicaA.app.services.balances.balancesOf([teamId]);
    expect(b.prepaidTicks).toBe(0n);
    expect(b.invoicedThisPeriodTicks).toBe(limitUnits * COST);
    const recomputed = await replicaA.app.services.balances.recompute(teamId);
    expect(recomputed).toEqual({ prepaidTicks: b.prepaidTicks, invoicedTicks: b.invoicedThisPeriodTicks });
    const [usage] = await query(
      `SELECT count(*)::int AS n, count(DISTINCT request_id)::int AS d, sum(cost_ticks)::text AS cost, sum(prepaid_ticks)::text AS prepaid
       FROM billing.usage_events WHERE team_id = $1`,
      [teamId],
    );
    expect(usage).toEqual({ n: accepted, d: accepted, cost: String(BigInt(accepted) * COST), prepaid: String(prepaidUnits * COST) });
  });

  it('bills exactly when the accounts a batch was planned from moved since (a top-up, a new limit, another replica billing)', async () => {
    const teamId = randomUUID();
    await fund(teamId, 3n * COST, 1n * COST);
    const admin = new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'ADMIN' }] });
    let n = 0;
    const bill = (replica: StartedSubgraph<BillingServices>, count: number) =>
      replica.app.services.metering.record(reporter, Array.from({ length: count }, () => event(teamId, `moving-${teamId}-${n++}`)));
    // Replica A remembers the accounts its last batch left; each change below makes what it remembers stale.
    expect((await bill(replicaA, 2)).accepted).toBe(2); // 1 prepaid left, 1 invoiceable
    await replicaA.app.services.balances.post({ teamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: 2n * COST, actor: null });
    expect((await bill(replicaA, 4)).accepted).toBe(4); // 3 prepaid, then 1 invoiced: the top-up counted
    await replicaA.app.services.balances.setInvoicedSpendingLimit(admin, teamId, 3n * COST);
    expect((await bill(replicaA, 3)).accepted).toBe(2); // the new limit counted
    await replicaA.app.services.balances.post({ teamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: 2n * COST, actor: null });
    expect((await bill(replicaB, 1)).accepted).toBe(1);
    expect((await bill(replicaA, 2)).accepted).toBe(1); // replica B's debit counted
    const [b] = await replicaA.app.services.balances.balancesOf([teamId]);
    expect([b.prepaidTicks, b.invoicedThisPeriodTicks]).toEqual([0n, 3n * COST]);
    expect(await replicaA.app.services.balances.recompute(teamId)).toEqual({ prepaidTicks: 0n, invoicedTicks: 3n * COST });
    const [usage] = await query('SELECT count(*)::int AS n, sum(cost_ticks)::text AS cost FROM billing.usage_events WHERE team_id = $1', [teamId]);
    expect(usage).toEqual({ n: 10, cost: String(10n * COST) });
  });

  it("keeps each API key's monthly spend cap exact when many reporters hammer a team's keys through two replicas", async () => {
    const teamId = randomUUID();
    await fund(teamId, 120n * COST, 0n);
    const wide = keyOf.get(teamId)!;
    const narrow = await registerKey(teamId);
    const admin = new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'ADMIN' }] });
    await replicaA.app.services.apiKeys.setMonthlySpendCap(admin, wide, 100n * COST);
    await replicaB.app.services.apiKeys.setMonthlySpendCap(admin, narrow, 40n * COST);
    // 24 reporters × 40 events over both keys: 960 requests, far more than either cap or the credits allow.
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, r) => {
        const events = Array.from({ length: 40 }, (_, i) => ({ ...event(teamId, `cap-${teamId}-${r}-${i}`), apiKeyId: (r + i) % 2 ? wide : narrow }));
        return (r % 2 === 0 ? replicaA : replicaB).app.services.metering.record(reporter, events);
      }),
    );
    expect(results.reduce((s, r) => s + r.accepted, 0)).toBe(120); // the credits run out first overall
    const codes = new Set(results.flatMap((r) => r.rejected.map((x) => x.code)));
    expect([...codes].sort()).toEqual(['API_KEY_SPEND_CAP_REACHED', 'INSUFFICIENT_CREDITS']);
    const perKey: { api_key_id: string; cost: string }[] = await query(
      'SELECT api_key_id, sum(cost_ticks)::text AS cost FROM billing.usage_events WHERE team_id = $1 GROUP BY api_key_id',
      [teamId],
    );
    const spent = new Map(perKey.map((r) => [r.api_key_id, BigInt(r.cost)]));
    expect(spent.get(narrow)).toBe(40n * COST); // the narrow cap is reached exactly, never passed
    expect(spent.get(wide)).toBe(80n * COST);
    const [w, n] = await replicaA.app.services.apiKeys.findByIds([wide, narrow]).then((ks) => [ks.find((k) => k.id === wide)!, ks.find((k) => k.id === narrow)!]);
    expect([w.spendThisPeriodTicks, n.spendThisPeriodTicks]).toEqual([80n * COST, 40n * COST]); // running totals match the usage rows
    const [b] = await replicaA.app.services.balances.balancesOf([teamId]);
    expect(b.prepaidTicks).toBe(0n);
  });

  it('never lets the per-event (naive) design break the rules either', async () => {
    const naive = await startSubgraph(billingSubgraph, { db: replicaA.db, app: { consumers: false, relay: false }, billing: { prices, meteringMode: 'per-event' } });
    try {
      const teamId = randomUUID();
      await fund(teamId, 50n * COST, 0n);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, r) => naive.app.services.metering.record(reporter, Array.from({ length: 10 }, (_, i) => event(teamId, `naive-${teamId}-${r}-${i}`)))),
      );
      expect(results.reduce((s, r) => s + r.accepted, 0)).toBe(50);
      const [b] = await naive.app.services.balances.balancesOf([teamId]);
      expect(b.prepaidTicks).toBe(0n);
    } finally {
      await naive.stop();
    }
  });

  it('refuses callers that are not usage reporters, and more than 1,000 events per call', async () => {
    const user = new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [] });
    await expect(replicaA.app.services.metering.record(user, [])).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(replicaA.app.services.metering.record(reporter, Array.from({ length: 1001 }, (_, i) => event(randomUUID(), `big-${i}`)))).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
