import { AddTeamMemberDocument, AuditLogDocument, TeamApiKeysDocument, UpdateTeamDocument, VerifyAuditLogDocument } from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { signUpUserWithTeam, signUpVerifiedUserWithTeam, type SignedUpUser } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';

let graph: TestGraph;
let anonymous: GraphClient;
let admin: SignedUpUser & { personalTeamId: string };
let member: SignedUpUser & { personalTeamId: string };

beforeAll(async () => {
  graph = await startGraph({ operationLog: true });
  anonymous = new GraphClient(graph.url);
  admin = await signUpUserWithTeam(anonymous);
  member = await signUpVerifiedUserWithTeam(anonymous, graph);
  await admin.client.data(AddTeamMemberDocument, { teamId: admin.personalTeamId, email: member.email });
});

afterAll(async () => {
  await graph?.stop();
});

interface Row {
  event_id: string;
  description: string;
  outcome: string;
  actor_user_id: string | null;
  actor_ip: string | null;
  actor_user_agent: string | null;
  payload: { operationName: string | null; errorCodes: string[]; requestId: string | null };
}

const operationsOf = async (teamId: string): Promise<Row[]> =>
  graph.apps.audit.infra.dataSource.query(
    `SELECT event_id, description, outcome, actor_user_id, actor_ip, actor_user_agent, payload FROM audit.audit_events
     WHERE chain_id = $1 AND event_type = 'gateway.operation' ORDER BY position`,
    [teamId],
  );

describe('operations recorded by the gateway', () => {
  it('records an admin’s list as ALLOWED and a member’s refused attempt as DENIED, with actor and request id', async () => {
    const teamId = admin.personalTeamId;
    const list = await admin.client.request(TeamApiKeysDocument, { id: teamId }, { 'user-agent': 'audit-test/1', 'x-request-id': 'req-list-0001' });
    expect(list.errors).toBeUndefined();
    const denied = await member.client.request(AuditLogDocument, { teamId }, { 'user-agent': 'audit-test/2', 'x-request-id': 'req-deny-0001' });
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const failed = await admin.client.request(UpdateTeamDocument, { id: teamId, input: { name: '' } }, { 'x-request-id': 'req-fail-0001' });
    expect(failed.errors?.[0].extensions?.code).not.toMatch(/FORBIDDEN|UNAUTHENTICATED/);

    const rows = await eventually(async () => {
      const r = await operationsOf(teamId);
      const ids = r.map((x) => x.payload.requestId);
      if (!['req-list-0001', 'req-deny-0001', 'req-fail-0001'].every((id) => ids.includes(id))) throw new Error('not all recorded yet');
      return r;
    });
    const byRequest = (id: string) => rows.filter((r) => r.payload.requestId === id);
    expect(byRequest('req-list-0001')).toEqual([
      expect.objectContaining({ description: 'ListApiKeys', outcome: 'ALLOWED', actor_user_id: admin.id, actor_user_agent: 'audit-test/1', actor_ip: expect.stringMatching(/127\.0\.0\.1/) }),
    ]);
    expect(byRequest('req-deny-0001')).toEqual([
      expect.objectContaining({ description: 'ListAuditLog', outcome: 'DENIED', actor_user_id: member.id, actor_user_agent: 'audit-test/2' }),
    ]);
    expect(byRequest('req-deny-0001')[0].payload).toMatchObject({ operationName: 'AuditLog', errorCodes: ['FORBIDDEN'] });
    expect(byRequest('req-fail-0001')).toEqual([expect.objectContaining({ description: 'UpdateTeam', outcome: 'FAILED', actor_user_id: admin.id })]);
  });

  it('shows the records to the team’s admin through auditLog, searchable by description and outcome', async () => {
    const teamId = admin.personalTeamId;
    await member.client.request(TeamApiKeysDocument, { id: teamId });
    const found = await eventually(async () => {
      const data = await admin.client.data(AuditLogDocument, { teamId, filter: { description: 'listapikeys', userId: member.id } });
      if (data.auditLog.edges.length === 0) throw new Error('not recorded yet');
      return data.auditLog.edges.map((e) => e.node);
    });
    expect(found[0]).toMatchObject({ description: 'ListApiKeys', teamId, actor: { userId: member.id } });
    expect(['ALLOWED', 'DENIED']).toContain(found[0].outcome);
  });

  it('records nothing twice when the same batch is delivered again, and keeps the chain verifiable', async () => {
    const teamId = admin.personalTeamId;
    const before = await eventually(async () => {
      const r = await operationsOf(teamId);
      if (r.length < 3) throw new Error('not recorded yet');
      return r;
    });
    const [batch]: { envelope: unknown }[] = await graph.apps.audit.infra.dataSource.query(
      `SELECT envelope FROM eventbus.events WHERE type = 'gateway.operations.recorded' AND envelope::text LIKE '%req-deny-0001%'`,
    );
    expect(batch).toBeDefined();
    // The batch again under a new bus id (as a gateway retrying after a lost acknowledgement might).
    const again = { ...(batch.envelope as object), id: '00000000-0000-4000-8000-000000000001' };
    await graph.apps.audit.bus.publish([again as never]);
    await new Promise((r) => setTimeout(r, 500));
    const after = await operationsOf(teamId);
    expect(after.filter((r) => r.payload.requestId === 'req-deny-0001')).toHaveLength(1);
    expect(new Set(after.map((r) => r.event_id)).size).toBe(after.length);
    expect(after.length).toBeGreaterThanOrEqual(before.length);
    expect((await admin.client.data(VerifyAuditLogDocument, { teamId })).verifyAuditLog).toMatchObject({ ok: true, firstBreak: null });
  });
});
