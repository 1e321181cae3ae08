import { AddTeamMemberDocument, UpdateTeamDocument } from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { signUpUserWithTeam, signUpVerifiedUserWithTeam, type SignedUpUser } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';

let graph: TestGraph;
let anonymous: GraphClient;
let admin: SignedUpUser & { personalTeamId: string };
let member: SignedUpUser & { personalTeamId: string };
let otherAdmin: SignedUpUser & { personalTeamId: string };

beforeAll(async () => {
  graph = await startGraph({ operationLog: true });
  anonymous = new GraphClient(graph.url);
  admin = await signUpUserWithTeam(anonymous);
  member = await signUpVerifiedUserWithTeam(anonymous, graph);
  otherAdmin = await signUpUserWithTeam(anonymous);
  await admin.client.data(AddTeamMemberDocument, { teamId: admin.personalTeamId, email: member.email });
});

afterAll(async () => {
  await graph?.stop();
});

const exportUrl = (params: Record<string, string>) => `${graph.url.replace('/graphql', '/export/audit')}?${new URLSearchParams(params)}`;
const get = (params: Record<string, string>, token?: string) => fetch(exportUrl(params), { headers: token ? { authorization: `Bearer ${token}` } : {} });

const logOf = async (teamId: string, from?: Date, to?: Date): Promise<{ event_id: string; occurred_at: Date }[]> =>
  graph.apps.audit.infra.dataSource.query(
    `SELECT event_id, occurred_at FROM audit.audit_events WHERE chain_id = $1
       AND occurred_at >= coalesce($2::timestamptz, '-infinity') AND occurred_at < coalesce($3::timestamptz, 'infinity') ORDER BY position`,
    [teamId, from ?? null, to ?? null],
  );

describe('NDJSON export of the audit log', () => {
  it('streams the admin’s team log for a date range, oldest first, one JSON object per line with its hash', async () => {
    const teamId = admin.personalTeamId;
    for (let i = 0; i < 3; i++) await admin.client.data(UpdateTeamDocument, { id: teamId, input: { description: `export ${i}` } });
    await eventually(async () => {
      if ((await logOf(teamId)).length < 8) throw new Error('not recorded yet');
    });
    const all = await logOf(teamId);
    const from = all.find((r) => r.occurred_at.getTime() > all[0].occurred_at.getTime())!.occurred_at;
    const before = all.filter((r) => r.occurred_at < from).map((r) => r.event_id);
    expect(before.length).toBeGreaterThan(0);
    const to = new Date(Date.now() + 60_000);
    const expected = (await logOf(teamId, from, to)).map((r) => r.event_id);

    const response = await get({ teamId, from: from.toISOString(), to: to.toISOString() }, admin.token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const text = await response.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
    // Operation records still arriving may join the range while the test runs: the export holds
    // everything that was there before it started, in log order, and nothing outside the range.
    const after = (await logOf(teamId, from, to)).map((r) => r.event_id);
    expect(lines.map((l) => l.id)).toEqual(after.slice(0, lines.length));
    expect(lines.length).toBeGreaterThanOrEqual(expected.length);
    for (const id of before) expect(lines.map((l) => l.id)).not.toContain(id);
    expect(lines.every((l) => l.teamId === teamId && /^[0-9a-f]{64}$/.test(l.hash) && new Date(l.occurredAt) >= from)).toBe(true);
    expect(lines.map((l) => Number(l.position))).toEqual([...lines.map((l) => Number(l.position))].sort((a, b) => a - b));
    expect(lines.some((l) => l.description === 'UpdateTeam' && l.eventType === 'team.updated')).toBe(true);
  });

  it('returns nothing for a range with no events', async () => {
    const response = await get({ teamId: admin.personalTeamId, from: '2001-01-01T00:00:00Z', to: '2001-02-01T00:00:00Z' }, admin.token);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('refuses a member, another team’s admin and an anonymous caller, and records the refusals', async () => {
    const teamId = admin.personalTeamId;
    const byMember = await get({ teamId }, member.token);
    expect(byMember.status).toBe(403);
    expect((await byMember.json()).errors[0].extensions.code).toBe('FORBIDDEN');
    const byOther = await get({ teamId }, otherAdmin.token);
    expect(byOther.status).toBe(403);
    expect(await byOther.text()).not.toMatch(/"position"/);
    expect((await get({ teamId })).status).toBe(401);
    expect((await get({ teamId }, 'not-a-token')).status).toBe(401);

    await eventually(async () => {
      const rows: { actor_user_id: string; outcome: string }[] = await graph.apps.audit.infra.dataSource.query(
        `SELECT actor_user_id, outcome FROM audit.audit_events WHERE chain_id = $1 AND description = 'ExportAuditLog'`,
        [teamId],
      );
      expect(rows).toEqual(expect.arrayContaining([{ actor_user_id: member.id, outcome: 'DENIED' }, { actor_user_id: otherAdmin.id, outcome: 'DENIED' }]));
    });
  });

  it('answers 400 for a bad team id or date', async () => {
    expect((await get({ teamId: 'nope' }, admin.token)).status).toBe(400);
    expect((await get({ teamId: admin.personalTeamId, from: 'yesterday' }, admin.token)).status).toBe(400);
  });
});
