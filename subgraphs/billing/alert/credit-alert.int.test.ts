import { randomUUID } from 'node:crypto';
import { EventType } from '../../kit/events';
import { Session } from '../../kit/session';
import { registerApiKey } from '../../../test/support/billing-keys';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { BillingServices } from '../billing.context';
import { billingSubgraph } from '../billing.subgraph';

let billing: StartedSubgraph<BillingServices>;
const reporter = new Session({ kind: 'service', service: 'usage-reporter' });
const prices = { flat: { promptTicksPerToken: 100n, cachedPromptTicksPerToken: 10n, completionTicksPerToken: 0n, predefinedPromptTokens: 0 } };
const COST = 1000n; // every request

beforeAll(async () => {
  billing = await startSubgraph(billingSubgraph, { app: { consumers: false, relay: false }, billing: { prices } });
});

afterAll(async () => {
  await billing?.stop();
});

async function teamWithAlerts(thresholds: number[]) {
  const teamId = randomUUID();
  const keyId = await registerApiKey(billing.app, teamId);
  const admin = new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'ADMIN' }] });
  await billing.app.services.alerts.setThresholds(admin, teamId, thresholds);
  return { teamId, keyId, admin };
}

const spend = (keyId: string, requests: number) =>
  billing.app.services.metering.record(
    reporter,
    Array.from({ length: requests }, () => ({ requestId: randomUUID(), apiKeyId: keyId, model: 'flat', promptTokens: 10, cachedPromptTokens: 0, completionTokens: 0, occurredAt: new Date() })),
  );

const alertsOf = async (teamId: string): Promise<{ thresholdPercent: number; prepaidTicks: string; thresholdTicks: string }[]> =>
  (
    await billing.app.infra.dataSource.query(`SELECT envelope->'payload' AS p FROM billing.outbox WHERE type = $1 AND aggregate_id = $2 ORDER BY seq`, [
      EventType.CreditAlertThresholdCrossed,
      teamId,
    ])
  ).map((r: { p: { thresholdPercent: number; prepaidTicks: string; thresholdTicks: string } }) => r.p);

describe('credit alert thresholds', () => {
  it('writes one event per threshold crossed, in the debit’s transaction, and none again for repeated debits below it', async () => {
    const { teamId, keyId } = await teamWithAlerts([50, 20, 5]);
    await billing.app.services.balances.post({ teamId, kind: 'PURCHASE', prepaidDeltaTicks: 100n * COST, actor: null });
    expect((await spend(keyId, 49)).accepted).toBe(49);
    expect(await alertsOf(teamId)).toEqual([]); // 51 left: above 50%
    await spend(keyId, 1);
    expect(await alertsOf(teamId)).toEqual([{ thresholdPercent: 50, thresholdTicks: String(50n * COST), prepaidTicks: String(50n * COST), topUpTicks: String(100n * COST), teamId }]);
    for (let i = 0; i < 5; i++) await spend(keyId, 1); // still above 20%: nothing more
    expect((await alertsOf(teamId)).map((a) => a.thresholdPercent)).toEqual([50]);
    await spend(keyId, 40); // 5 left: crosses 20 and 5 in one batch, each once
    await spend(keyId, 2);
    expect((await alertsOf(teamId)).map((a) => a.thresholdPercent)).toEqual([50, 20, 5]);
  });

  it('are re-armed by a top-up and become percentages of it', async () => {
    const { teamId, keyId } = await teamWithAlerts([50]);
    await billing.app.services.balances.post({ teamId, kind: 'PURCHASE', prepaidDeltaTicks: 10n * COST, actor: null });
    await spend(keyId, 6);
    await billing.app.services.balances.post({ teamId, kind: 'PURCHASE', prepaidDeltaTicks: 20n * COST, actor: null }); // 24 left, threshold now 10
    await spend(keyId, 13);
    expect((await alertsOf(teamId)).map((a) => [a.thresholdPercent, a.thresholdTicks])).toEqual([[50, String(5n * COST)]]);
    await spend(keyId, 1); // 10 left
    expect((await alertsOf(teamId)).map((a) => [a.thresholdPercent, a.thresholdTicks])).toEqual([
      [50, String(5n * COST)],
      [50, String(10n * COST)],
    ]);
    const [state] = await billing.app.services.alerts.ofTeams([teamId]);
    expect([state.topUpTicks, state.firedPercent]).toEqual([20n * COST, [50]]);
  });

  it('are set by Admins only, as distinct whole percentages', async () => {
    const { teamId, admin } = await teamWithAlerts([]);
    const member = new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'MEMBER' }] });
    await expect(billing.app.services.alerts.setThresholds(member, teamId, [50])).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(billing.app.services.alerts.setThresholds(admin, teamId, [0])).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((await billing.app.services.alerts.setThresholds(admin, teamId, [5, 50, 20])).thresholdsPercent).toEqual([50, 20, 5]);
  });
});
