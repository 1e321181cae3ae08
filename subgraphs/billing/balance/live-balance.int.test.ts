import { randomUUID } from 'node:crypto';
import { Session } from '../../kit/session';
import { registerApiKey } from '../../../test/support/billing-keys';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { BillingServices } from '../billing.context';
import { billingSubgraph } from '../billing.subgraph';
import type { UsageEvent } from '../metering/usage-rules';

let writer: StartedSubgraph<BillingServices>;
let reader: StartedSubgraph<BillingServices>;
const reporter = new Session({ kind: 'service', service: 'usage-reporter' });
const prices = { flat: { promptTicksPerToken: 100n, cachedPromptTicksPerToken: 10n, completionTicksPerToken: 0n, predefinedPromptTokens: 0 } };
const COST = 1000n;

beforeAll(async () => {
  writer = await startSubgraph(billingSubgraph, { app: { consumers: false, relay: false }, billing: { prices } });
  // The subscriber is on another replica: updates reach it only through PostgreSQL NOTIFY.
  reader = await startSubgraph(billingSubgraph, { db: writer.db, app: { consumers: false, relay: false }, billing: { prices } });
});

afterAll(async () => {
  await reader?.stop();
  await writer?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const event = (teamId: string, apiKeyId: string): UsageEvent => ({ requestId: randomUUID(), teamId, apiKeyId, model: 'flat', promptTokens: 10, cachedPromptTokens: 0, completionTokens: 0, occurredAt: new Date() });

describe('live credit balance under heavy metering', () => {
  it('pushes the newest balance to a subscriber on another replica at most 10 times a second, never more than 250 ms stale', async () => {
    const teamId = randomUUID();
    const initial = 10n ** 12n;
    await writer.app.services.balances.post({ teamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: initial, actor: null });
    const keyId = await registerApiKey(writer.app, teamId);
    const member = new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'MEMBER' }] });
    const live = reader.app.services.balances.watch(member, teamId);
    const pushes: { at: number; prepaid: bigint }[] = [];
    const reading = (async () => {
      for await (const b of live) pushes.push({ at: Date.now(), prepaid: b.prepaidTicks });
    })();
    await sleep(200); // listening before the first debit

    // Eight reporters, each sending small batches back to back for 1.5 s.
    const settled: { at: number; accepted: number }[] = [];
    const until = Date.now() + 1500;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < until) {
          const r = await writer.app.services.metering.record(reporter, Array.from({ length: 5 }, () => event(teamId, keyId)));
          settled.push({ at: Date.now(), accepted: r.accepted });
        }
      }),
    );
    const lastCommit = Date.now();
    const accepted = settled.reduce((n, s) => n + s.accepted, 0);
    const final = initial - BigInt(accepted) * COST;
    const [stored] = await writer.app.services.balances.balancesOf([teamId]);
    expect(stored.prepaidTicks).toBe(final);
    await sleep(400);
    await live.return!();
    await reading;

    expect(settled.length).toBeGreaterThan(50); // far more commits than pushes
    expect(pushes.length).toBeGreaterThanOrEqual(8);
    expect(pushes.length).toBeLessThanOrEqual(Math.ceil((pushes[pushes.length - 1].at - pushes[0].at) / 100) + 1);
    for (let i = 1; i < pushes.length; i++) expect(pushes[i].at - pushes[i - 1].at).toBeGreaterThanOrEqual(95);
    // The final balance arrives, within 250 ms of the last commit.
    expect(pushes[pushes.length - 1].prepaid).toBe(final);
    expect(pushes[pushes.length - 1].at - lastCommit).toBeLessThan(250);
    // Each push reflects at least every debit that had committed 250 ms before it.
    for (const p of pushes) {
      const committedBefore = settled.filter((s) => s.at <= p.at - 250).reduce((n, s) => n + s.accepted, 0);
      expect(p.prepaid).toBeLessThanOrEqual(initial - BigInt(committedBefore) * COST);
    }
  });
});

describe('live credit balance of several teams in one batch', () => {
  it('pushes each team its own new balance when one metering call debits three teams', async () => {
    const teams = [randomUUID(), randomUUID(), randomUUID()];
    const keys: string[] = [];
    for (const [i, teamId] of teams.entries()) {
      await writer.app.services.balances.post({ teamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: 100_000n * BigInt(i + 1), actor: null });
      keys.push(await registerApiKey(writer.app, teamId));
    }
    const watches = teams.map((teamId) => reader.app.services.balances.watch(new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'MEMBER' }] }), teamId));
    const firsts = watches.map((w) => w.next());
    await sleep(200); // listening before the debit

    const r = await writer.app.services.metering.record(reporter, [event(teams[0], keys[0]), event(teams[1], keys[1]), event(teams[1], keys[1]), event(teams[2], keys[2])]);
    expect(r.accepted).toBe(4);
    const pushed = await Promise.all(firsts);
    expect(pushed.map((p) => (p.value as { teamId: string; prepaidTicks: bigint }).teamId)).toEqual(teams);
    expect(pushed.map((p) => (p.value as { prepaidTicks: bigint }).prepaidTicks)).toEqual([100_000n - COST, 200_000n - 2n * COST, 300_000n - COST]);
    for (const w of watches) await w.return!();
  });
});
