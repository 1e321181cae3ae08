import { randomUUID } from 'node:crypto';
import { createEvent, EventType, type DomainEvent } from '../../kit/events';
import { Session } from '../../kit/session';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { BillingServices } from '../billing.context';
import { billingSubgraph } from '../billing.subgraph';

let billing: StartedSubgraph<BillingServices>;
const reporter = new Session({ kind: 'service', service: 'usage-reporter' });
// Every request costs exactly 1,000 ticks.
const prices = { flat: { promptTicksPerToken: 100n, cachedPromptTicksPerToken: 10n, completionTicksPerToken: 0n, predefinedPromptTokens: 0 } };
const COST = 1000n;

beforeAll(async () => {
  billing = await startSubgraph(billingSubgraph, { app: { consumers: false, relay: false }, billing: { prices } });
});

afterAll(async () => {
  await billing?.stop();
});

const services = () => billing.app.services;
const adminOf = (teamId: string) => new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'ADMIN' }] });

/** Applies one of Team's events to billing's projection as its consumer does (once per event id). */
async function deliver(type: string, teamId: string, payload: object, occurredAt = new Date()): Promise<DomainEvent<object>> {
  const consumer = billing.app.consumers.find((c) => c.name === 'billing.api-keys')!;
  const event = createEvent('team', { type, aggregateId: teamId, teamId, actor: null, payload, occurredAt });
  await billing.app.consumerRunner.applyOnce(consumer, event as DomainEvent);
  return event;
}

async function teamWithKey(prepaid = 100n * COST): Promise<{ teamId: string; keyId: string }> {
  const teamId = randomUUID();
  const keyId = randomUUID();
  await services().balances.post({ teamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: prepaid, actor: null });
  await deliver(EventType.ApiKeyCreated, teamId, { keyId, name: 'k' });
  return { teamId, keyId };
}

const usage = (apiKeyId: string, over: { teamId?: string | null; occurredAt?: Date; requestId?: string } = {}) => ({
  requestId: over.requestId ?? randomUUID(),
  teamId: over.teamId ?? null,
  apiKeyId,
  model: 'flat',
  promptTokens: 10,
  cachedPromptTokens: 0,
  completionTokens: 0,
  occurredAt: over.occurredAt ?? new Date(),
});

const prepaidOf = async (teamId: string) => (await services().balances.balancesOf([teamId]))[0].prepaidTicks;

describe('billing by API key', () => {
  it("charges the key's team and never the team an event names: another team's key cannot charge or credit the wrong team", async () => {
    const mine = await teamWithKey();
    const theirs = await teamWithKey();
    const named = await services().metering.record(reporter, [usage(theirs.keyId, { teamId: mine.teamId })]);
    expect(named.rejected.map((r) => [r.code, r.retryable])).toEqual([['API_KEY_TEAM_MISMATCH', false]]);
    const unnamed = await services().metering.record(reporter, [usage(theirs.keyId), usage(mine.keyId, { teamId: mine.teamId })]);
    expect(unnamed.accepted).toBe(2);
    // Each team paid for exactly its own key's request.
    expect([await prepaidOf(mine.teamId), await prepaidOf(theirs.teamId)]).toEqual([99n * COST, 99n * COST]);
    const rows: { team_id: string; api_key_id: string }[] = await billing.app.infra.dataSource.query(
      'SELECT team_id, api_key_id FROM billing.usage_events WHERE api_key_id = ANY($1)',
      [[mine.keyId, theirs.keyId]],
    );
    expect(rows.map((r) => r.team_id === (r.api_key_id === mine.keyId ? mine.teamId : theirs.teamId))).toEqual([true, true]);
  });

  it('refuses, retryably, a key billing has not seen yet, and bills it once its creation arrives', async () => {
    const teamId = randomUUID();
    const keyId = randomUUID();
    await services().balances.post({ teamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: 10n * COST, actor: null });
    const early = usage(keyId);
    const refused = await services().metering.record(reporter, [early, usage('not-a-uuid')]);
    expect(refused.rejected.map((r) => [r.code, r.retryable])).toEqual([
      ['UNKNOWN_API_KEY', true],
      ['UNKNOWN_API_KEY', true],
    ]);
    expect(await prepaidOf(teamId)).toBe(10n * COST);
    await deliver(EventType.ApiKeyCreated, teamId, { keyId, name: 'k' });
    expect((await services().metering.record(reporter, [early])).accepted).toBe(1);
  });

  it('refuses requests made after the key was disabled, leaked or deleted, and bills those made before', async () => {
    const { teamId, keyId } = await teamWithKey();
    const disabledAt = new Date(Date.now() - 60_000);
    await deliver(EventType.ApiKeyDisabled, teamId, { keyId, name: 'k' }, disabledAt);
    const result = await services().metering.record(reporter, [usage(keyId, { occurredAt: new Date(disabledAt.getTime() - 1000) }), usage(keyId)]);
    expect([result.accepted, result.rejected.map((r) => r.code)]).toEqual([1, ['API_KEY_REVOKED']]);
    await deliver(EventType.ApiKeyEnabled, teamId, { keyId, name: 'k' });
    expect((await services().metering.record(reporter, [usage(keyId)])).accepted).toBe(1);
    await deliver(EventType.ApiKeyLeaked, teamId, { keyId, name: 'k' });
    expect((await services().metering.record(reporter, [usage(keyId)])).rejected[0].code).toBe('API_KEY_REVOKED');
    const deleted = await teamWithKey();
    await deliver(EventType.ApiKeyDeleted, deleted.teamId, { keyId: deleted.keyId, name: 'k' });
    expect((await services().metering.record(reporter, [usage(deleted.keyId)])).rejected[0].code).toBe('API_KEY_REVOKED');
    expect(await prepaidOf(deleted.teamId)).toBe(100n * COST);
  });

  it('bills a rotated key during its grace period only, and the new key with the old one’s cap', async () => {
    const { teamId, keyId } = await teamWithKey();
    await services().apiKeys.setMonthlySpendCap(adminOf(teamId), keyId, 3n * COST);
    const newKeyId = randomUUID();
    const rotatedAt = new Date();
    await deliver(EventType.ApiKeyRotated, teamId, { keyId: newKeyId, name: 'k', rotatedFrom: keyId, graceSeconds: 60 }, rotatedAt);
    const inGrace = usage(keyId, { occurredAt: new Date(rotatedAt.getTime() + 30_000) });
    const afterGrace = usage(keyId, { occurredAt: new Date(rotatedAt.getTime() + 60_000) });
    const old = await services().metering.record(reporter, [inGrace, afterGrace]);
    expect([old.accepted, old.rejected.map((r) => r.code)]).toEqual([1, ['API_KEY_REVOKED']]);
    const [fresh] = await services().apiKeys.findByIds([newKeyId]);
    expect([fresh.teamId, fresh.monthlySpendCapTicks, fresh.spendThisPeriodTicks]).toEqual([teamId, 3n * COST, 0n]);
  });

  it("revokes a deleted team's keys, and applies a redelivered event once", async () => {
    const { teamId, keyId } = await teamWithKey();
    const created = await deliver(EventType.ApiKeyCreated, teamId, { keyId, name: 'k' });
    const consumer = billing.app.consumers.find((c) => c.name === 'billing.api-keys')!;
    expect(await billing.app.consumerRunner.applyOnce(consumer, created as DomainEvent)).toBe(false);
    await deliver(EventType.TeamDeleted, teamId, { teamId, name: 't' });
    expect((await services().metering.record(reporter, [usage(keyId)])).rejected[0].code).toBe('API_KEY_REVOKED');
  });
});

describe('monthly spend cap per API key', () => {
  it('refuses what would pass the cap and charges nothing for it; clearing the cap lifts it', async () => {
    const { teamId, keyId } = await teamWithKey();
    await services().apiKeys.setMonthlySpendCap(adminOf(teamId), keyId, 2n * COST + 500n);
    const result = await services().metering.record(reporter, [usage(keyId), usage(keyId), usage(keyId)]);
    expect([result.accepted, result.rejected.map((r) => [r.code, r.retryable])]).toEqual([2, [['API_KEY_SPEND_CAP_REACHED', false]]]);
    expect(await prepaidOf(teamId)).toBe(98n * COST);
    await services().apiKeys.setMonthlySpendCap(adminOf(teamId), keyId, null);
    expect((await services().metering.record(reporter, [usage(keyId)])).accepted).toBe(1);
  });

  it('counts spend per UTC month: last month’s spend no longer counts', async () => {
    const { teamId, keyId } = await teamWithKey();
    await services().apiKeys.setMonthlySpendCap(adminOf(teamId), keyId, COST);
    expect((await services().metering.record(reporter, [usage(keyId), usage(keyId)])).accepted).toBe(1);
    // The month that spend was counted in ends: the key's spend starts again from zero.
    await billing.app.infra.dataSource.query(`UPDATE billing.api_keys SET spend_period = (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month')::date WHERE id = $1`, [keyId]);
    expect((await services().apiKeys.findByIds([keyId]))[0].spendThisPeriodTicks).toBe(0n);
    expect((await services().metering.record(reporter, [usage(keyId), usage(keyId)])).accepted).toBe(1);
    expect((await services().apiKeys.findByIds([keyId]))[0].spendThisPeriodTicks).toBe(COST);
  });

  it("is set by the team's Admins only, never negative", async () => {
    const { teamId, keyId } = await teamWithKey();
    const member = new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'MEMBER' }] });
    await expect(services().apiKeys.setMonthlySpendCap(member, keyId, COST)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(services().apiKeys.setMonthlySpendCap(adminOf(randomUUID()), keyId, COST)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(services().apiKeys.setMonthlySpendCap(adminOf(teamId), keyId, -1n)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
