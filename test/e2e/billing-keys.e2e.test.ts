import { randomUUID } from 'node:crypto';
import type { TeamServices } from '../../subgraphs/team/team.context';
import {
  AddPaymentMethodDocument,
  DeleteApiKeyDocument,
  PurchaseCreditsDocument,
  RecordUsageDocument,
  SetApiKeyMonthlySpendCapDocument,
  SetCreditAlertThresholdsDocument,
  TeamApiKeySpendDocument,
  TeamBalanceDocument,
  TeamCreditAlertsDocument,
} from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { createBilledApiKey, signUpUserWithTeam, signUpVerifiedUserWithTeam, verifyEmailForTeams, type SignedUpUser } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';

const USD = 10_000_000_000n;
/** grok-4, 1,000 prompt and 100 completion tokens, pre-defined prompt tokens included. */
const SMALL = (1000n + 28n) * 30_000n + 100n * 150_000n;
/** grok-4, 100,000 prompt and 100 completion tokens: about 30% of $1. */
const BIG = (100_000n + 28n) * 30_000n + 100n * 150_000n;

let graph: TestGraph;
let anonymous: GraphClient;
let reporter: GraphClient;
let admin: SignedUpUser & { personalTeamId: string };
let member: SignedUpUser & { personalTeamId: string };
let otherAdmin: SignedUpUser & { personalTeamId: string };
let teamId: string;

beforeAll(async () => {
  graph = await startGraph();
  anonymous = new GraphClient(graph.url);
  reporter = anonymous.as(graph.usageReporterToken);
  [admin, member, otherAdmin] = await Promise.all([signUpUserWithTeam(anonymous), signUpUserWithTeam(anonymous), signUpUserWithTeam(anonymous)]);
  teamId = admin.personalTeamId;
  await (graph.apps.team.services as TeamServices).teams.addMembership(teamId, member.id, 'MEMBER', { userId: admin.id });
  await eventually(async () => {
    const r = await member.client.request(TeamBalanceDocument, { id: teamId });
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  });
});

afterAll(async () => {
  await graph?.stop();
});

const codes = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.map((e) => e.extensions?.code);

async function buy(user: SignedUpUser, team: string, amount: bigint): Promise<void> {
  const card = await user.client.data(AddPaymentMethodDocument, { teamId: team, processorToken: 'tok_visa' });
  await user.client.data(PurchaseCreditsDocument, { input: { teamId: team, amountTicks: amount.toString(), paymentMethodId: card.addPaymentMethod.id, idempotencyKey: randomUUID() } });
}

const prepaidOf = async (user: SignedUpUser, team: string) => BigInt((await user.client.data(TeamBalanceDocument, { id: team })).team!.creditBalance.prepaid.ticks);
const usage = (apiKeyId: string, over: { teamId?: string; promptTokens?: number } = {}) => ({
  requestId: randomUUID(),
  apiKeyId,
  model: 'grok-4',
  promptTokens: over.promptTokens ?? 1000,
  completionTokens: 100,
  ...(over.teamId ? { teamId: over.teamId } : {}),
});
const record = async (...events: ReturnType<typeof usage>[]) => (await reporter.data(RecordUsageDocument, { events })).recordUsage;

describe('usage is billed to the API key’s team', () => {
  it('charges the key’s own team: an event naming another team cannot charge or credit the wrong team', async () => {
    await buy(admin, teamId, 10n * USD);
    await buy(otherAdmin, otherAdmin.personalTeamId, 10n * USD);
    const theirKey = await createBilledApiKey(graph, otherAdmin, otherAdmin.personalTeamId);
    const [mineBefore, theirsBefore] = [await prepaidOf(admin, teamId), await prepaidOf(otherAdmin, otherAdmin.personalTeamId)];

    const named = await record(usage(theirKey, { teamId }));
    expect(named).toMatchObject({ accepted: 0, rejected: [{ code: 'API_KEY_TEAM_MISMATCH', retryable: false }] });
    expect([await prepaidOf(admin, teamId), await prepaidOf(otherAdmin, otherAdmin.personalTeamId)]).toEqual([mineBefore, theirsBefore]);

    expect((await record(usage(theirKey))).accepted).toBe(1);
    expect([await prepaidOf(admin, teamId), await prepaidOf(otherAdmin, otherAdmin.personalTeamId)]).toEqual([mineBefore, theirsBefore - SMALL]);
  });

  it('refuses a key Billing does not know as retryable, and a deleted key’s usage from then on', async () => {
    const unknown = await record(usage(randomUUID()));
    expect(unknown.rejected).toEqual([expect.objectContaining({ code: 'UNKNOWN_API_KEY', retryable: true })]);
    const keyId = await createBilledApiKey(graph, admin, teamId, 'short-lived');
    expect((await record(usage(keyId))).accepted).toBe(1);
    await admin.client.data(DeleteApiKeyDocument, { id: keyId });
    const before = await prepaidOf(admin, teamId);
    await eventually(async () => expect((await record(usage(keyId))).rejected.map((r) => r.code)).toEqual(['API_KEY_REVOKED']));
    expect(await prepaidOf(admin, teamId)).toBe(before);
  });
});

describe('monthly spend cap per API key', () => {
  it('is set by Admins (not by a Member who created the key), refuses usage beyond it, and shows the spend to the key’s creator', async () => {
    const keyId = await createBilledApiKey(graph, member, teamId, 'capped');
    const byCreator = await member.client.request(SetApiKeyMonthlySpendCapDocument, { apiKeyId: keyId, capTicks: '1' });
    expect(codes(byCreator)).toEqual(['FORBIDDEN']);
    const byOutsider = await otherAdmin.client.request(SetApiKeyMonthlySpendCapDocument, { apiKeyId: keyId, capTicks: '1' });
    expect(codes(byOutsider)).toEqual(['FORBIDDEN']);

    const cap = 2n * SMALL + SMALL / 2n;
    const set = await admin.client.data(SetApiKeyMonthlySpendCapDocument, { apiKeyId: keyId, capTicks: cap.toString() });
    expect(set.setApiKeyMonthlySpendCap).toMatchObject({ id: keyId, name: 'capped', monthlySpendCap: { ticks: cap.toString() }, spendThisMonth: { ticks: '0' } });
    const before = await prepaidOf(admin, teamId);
    const result = await record(usage(keyId), usage(keyId), usage(keyId));
    expect(result).toMatchObject({ accepted: 2, rejected: [{ code: 'API_KEY_SPEND_CAP_REACHED', retryable: false }] });
    expect(await prepaidOf(admin, teamId)).toBe(before - 2n * SMALL); // the refused request charged nothing

    const seen = await member.client.data(TeamApiKeySpendDocument, { id: teamId });
    expect(seen.team!.apiKeys.find((k) => k.id === keyId)).toMatchObject({ monthlySpendCap: { ticks: cap.toString() }, spendThisMonth: { ticks: (2n * SMALL).toString() } });

    const cleared = await admin.client.data(SetApiKeyMonthlySpendCapDocument, { apiKeyId: keyId, capTicks: null });
    expect(cleared.setApiKeyMonthlySpendCap.monthlySpendCap).toBeNull();
    expect((await record(usage(keyId))).accepted).toBe(1);
  });
});

describe('credit alert thresholds', () => {
  /** Credit alerts the SMTP server received for these addresses, in the order they arrived. */
  const mailTo = (recipients: string[]): { recipient: string; subject: string; body: string }[] =>
    graph.mailbox.messages
      .filter((m) => m.subject.startsWith('Prepaid credits'))
      .flatMap((m) => m.to.filter((to) => recipients.includes(to)).map((recipient) => ({ recipient, subject: m.subject, body: m.body })));

  it('mail the team’s Admins once per crossing, not again for repeated debits below it, and re-arm on a top-up', async () => {
    // A team of its own: an Admin who pays, and a Member who must not get billing mail.
    // Alerts go to verified addresses only: both have one, and only the Admin is mailed.
    const payer = await signUpVerifiedUserWithTeam(anonymous, graph);
    await verifyEmailForTeams(member, graph);
    const team = payer.personalTeamId;
    await (graph.apps.team.services as TeamServices).teams.addMembership(team, member.id, 'MEMBER', { userId: payer.id });
    const byMember = await member.client.request(SetCreditAlertThresholdsDocument, { teamId: team, thresholdsPercent: [50] });
    expect(codes(byMember)).toEqual(['FORBIDDEN']);
    const bad = await payer.client.request(SetCreditAlertThresholdsDocument, { teamId: team, thresholdsPercent: [50, 50] });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    const set = await payer.client.data(SetCreditAlertThresholdsDocument, { teamId: team, thresholdsPercent: [20, 50] });
    expect(set.setCreditAlertThresholds.thresholdsPercent).toEqual([50, 20]);

    await buy(payer, team, USD);
    const keyId = await createBilledApiKey(graph, payer, team);
    expect((await record(usage(keyId, { promptTokens: 100_000 }))).accepted).toBe(1); // ~70% left
    expect((await record(usage(keyId, { promptTokens: 100_000 }))).accepted).toBe(1); // ~40% left: crosses 50%
    const first = await eventually(async () => {
      const mails = mailTo([payer.email, member.email]);
      expect(mails).toHaveLength(1);
      return mails[0];
    });
    expect(first.recipient).toBe(payer.email);
    expect(first.subject).toContain('50%');
    expect(first.body).toContain(`$${(Number(USD - 2n * BIG) / 1e10).toFixed(10)}`);

    for (let i = 0; i < 5; i++) expect((await record(usage(keyId))).accepted).toBe(1); // still between 50% and 20%
    expect((await record(usage(keyId, { promptTokens: 100_000 }))).accepted).toBe(1); // ~9% left: crosses 20%
    // Alerts of one team are delivered in order: once the 20% mail is there, any second 50% mail would be too.
    const mails = await eventually(async () => {
      const all = mailTo([payer.email, member.email]);
      expect(all).toHaveLength(2);
      return all;
    });
    expect(mails.map((m) => [m.recipient, m.subject.match(/\d+%/)?.[0]])).toEqual([
      [payer.email, '50%'],
      [payer.email, '20%'],
    ]);
    expect((await member.client.data(TeamCreditAlertsDocument, { id: team })).team!.creditAlerts).toMatchObject({ firedPercent: [50, 20], lastTopUp: { ticks: USD.toString() } });

    await buy(payer, team, 2n * USD); // re-arms both, now percentages of $2
    const rearmed = (await payer.client.data(TeamCreditAlertsDocument, { id: team })).team!.creditAlerts;
    expect(rearmed).toMatchObject({ firedPercent: [], lastTopUp: { ticks: (2n * USD).toString() } });
  });
});
