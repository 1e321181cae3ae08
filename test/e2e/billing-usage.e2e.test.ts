import { randomUUID } from 'node:crypto';
import type { TeamServices } from '../../subgraphs/team/team.context';
import { AddPaymentMethodDocument, PurchaseCreditsDocument, RecordUsageDocument, TeamBalanceDocument, TeamUsageDocument, TokenizeTextDocument } from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { createBilledApiKey, signUpUserWithTeam, type SignedUpUser } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';

const USD = 10_000_000_000n;
const HOUR = 3600_000;
let graph: TestGraph;
let anonymous: GraphClient;
let admin: SignedUpUser & { personalTeamId: string };
let member: SignedUpUser & { personalTeamId: string };
let outsider: SignedUpUser & { personalTeamId: string };
let teamId: string;
let firstKey: string;
let secondKey: string;
// Three hours that start two days ago, on the hour (UTC).
const base = Math.floor((Date.now() - 2 * 24 * HOUR) / HOUR) * HOUR;

beforeAll(async () => {
  graph = await startGraph();
  anonymous = new GraphClient(graph.url);
  [admin, member, outsider] = await Promise.all([signUpUserWithTeam(anonymous), signUpUserWithTeam(anonymous), signUpUserWithTeam(anonymous)]);
  teamId = admin.personalTeamId;
  await (graph.apps.team.services as TeamServices).teams.addMembership(teamId, member.id, 'MEMBER', { userId: admin.id });
  await eventually(async () => {
    const r = await member.client.request(TeamBalanceDocument, { id: teamId });
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  });
  const card = await admin.client.data(AddPaymentMethodDocument, { teamId, processorToken: 'tok_visa' });
  await admin.client.data(PurchaseCreditsDocument, { input: { teamId, amountTicks: (100n * USD).toString(), paymentMethodId: card.addPaymentMethod.id, idempotencyKey: 'usage' } });
  const at = (hour: number, minute: number) => new Date(base + hour * HOUR + minute * 60_000).toISOString();
  const e = (apiKeyId: string, model: string, occurredAt: string, promptTokens: number) => ({ requestId: randomUUID(), teamId, apiKeyId, model, promptTokens, completionTokens: 10, occurredAt });
  // Two keys, named so that key a sorts first.
  const keyA = await createBilledApiKey(graph, admin, teamId, 'a');
  const keyB = await createBilledApiKey(graph, admin, teamId, 'b');
  [firstKey, secondKey] = [keyA, keyB].sort();
  const reported = await anonymous.as(graph.usageReporterToken).data(RecordUsageDocument, {
    events: [
      e(firstKey, 'grok-4', at(0, 5), 100),
      e(firstKey, 'grok-4', at(0, 55), 200),
      e(secondKey, 'grok-3-mini', at(0, 30), 300),
      e(firstKey, 'grok-3-mini', at(2, 0), 400),
    ],
  });
  expect(reported.recordUsage.accepted).toBe(4);
});

afterAll(async () => {
  await graph?.stop();
});

const codes = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.map((e) => e.extensions?.code);
const iso = (ms: number) => new Date(ms).toISOString();

describe('usage queries', () => {
  it('groups by hour and API key for members', async () => {
    const r = await member.client.data(TeamUsageDocument, { id: teamId, from: iso(base), to: iso(base + 3 * HOUR), bucket: 'HOUR', groupBy: 'API_KEY' });
    expect(r.team!.usage.map((u) => [u.start, u.key, u.requests, u.promptTokens])).toEqual([
      [iso(base), firstKey, 2, '300'],
      [iso(base), secondKey, 1, '300'],
      [iso(base + 2 * HOUR), firstKey, 1, '400'],
    ]);
    const grok4 = (100n + 200n + 2n * 28n) * 30_000n + 20n * 150_000n;
    expect(r.team!.usage[0].cost.ticks).toBe(grok4.toString());
  });

  it('groups by day and model, and leaves out what is outside the range', async () => {
    const dayStart = Math.floor(base / (24 * HOUR)) * 24 * HOUR;
    const r = await member.client.data(TeamUsageDocument, { id: teamId, from: iso(dayStart), to: iso(dayStart + 2 * 24 * HOUR), bucket: 'DAY', groupBy: 'MODEL' });
    const byModel = new Map<string, number>();
    for (const u of r.team!.usage) byModel.set(u.key, (byModel.get(u.key) ?? 0) + u.requests);
    expect(Object.fromEntries(byModel)).toEqual({ 'grok-3-mini': 2, 'grok-4': 2 });
    expect(r.team!.usage.every((u) => Date.parse(u.start) % (24 * HOUR) === 0)).toBe(true);
    const late = await member.client.data(TeamUsageDocument, { id: teamId, from: iso(base + HOUR), to: iso(base + 2 * HOUR), bucket: 'HOUR', groupBy: 'MODEL' });
    expect(late.team!.usage).toEqual([]);
  });

  it('refuses unbounded or backwards ranges, and non-members', async () => {
    const tooLong = await member.client.request(TeamUsageDocument, { id: teamId, from: iso(base - 8 * 24 * HOUR), to: iso(base), bucket: 'HOUR', groupBy: 'MODEL' });
    expect(codes(tooLong)).toEqual(['BAD_USER_INPUT']);
    const yearPlus = await member.client.request(TeamUsageDocument, { id: teamId, from: iso(base - 400 * 24 * HOUR), to: iso(base), bucket: 'DAY', groupBy: 'MODEL' });
    expect(codes(yearPlus)).toEqual(['BAD_USER_INPUT']);
    const backwards = await member.client.request(TeamUsageDocument, { id: teamId, from: iso(base), to: iso(base - HOUR), bucket: 'HOUR', groupBy: 'MODEL' });
    expect(codes(backwards)).toEqual(['BAD_USER_INPUT']);
    const notMember = await outsider.client.request(TeamUsageDocument, { id: teamId, from: iso(base), to: iso(base + HOUR), bucket: 'HOUR', groupBy: 'MODEL' });
    expect(codes(notMember)).toEqual(['FORBIDDEN']);
  });
});

describe('tokenizeText', () => {
  it('returns the tokens and the prompt estimate with pre-defined tokens, for signed-in users', async () => {
    const r = await member.client.data(TokenizeTextDocument, { model: 'grok-4', text: 'tokenization is fun' });
    expect(r.tokenizeText).toEqual({
      model: 'grok-4',
      tokens: [
        { id: 10346, text: 'token' },
        { id: 2860, text: 'ization' },
        { id: 382, text: ' is' },
        { id: 2827, text: ' fun' },
      ],
      tokenCount: 4,
      predefinedPromptTokens: 28,
      billedPromptTokens: 32,
      estimatedPromptCost: { ticks: (32n * 30_000n).toString(), usd: '0.0000960000' },
    });
    expect(codes(await member.client.request(TokenizeTextDocument, { model: 'gpt-0', text: 'x' }))).toEqual(['UNKNOWN_MODEL']);
    expect(codes(await anonymous.request(TokenizeTextDocument, { model: 'grok-4', text: 'x' }))).toEqual(['UNAUTHENTICATED']);
  });
});
