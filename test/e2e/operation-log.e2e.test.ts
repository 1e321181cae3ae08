import { randomUUID } from 'node:crypto';
import {
  AddPaymentMethodDocument,
  AddTeamMemberDocument,
  AuditLogDocument,
  CreateManagementKeyDocument,
  CreditBalanceChangedDocument,
  MeDocument,
  PurchaseCreditsDocument,
  RecordUsageDocument,
  TeamApiKeysDocument,
  UpdateTeamDocument,
  VerifyAuditLogDocument,
} from '../operations/generated';
import { GraphClient, subscribe } from '../support/client';
import { eventually } from '../support/eventually';
import { createBilledApiKey, signUpUserWithTeam, signUpVerifiedUserWithTeam, type SignedUpUser } from '../support/factories';
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
  team_id?: string | null;
  actor_api_key_id?: string | null;
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

describe('calls of platform services', () => {
  it('records no usage reporter’s call in the operation log; Billing hands its requests to the team’s request log', async () => {
    const teamId = admin.personalTeamId;
    const card = await admin.client.data(AddPaymentMethodDocument, { teamId, processorToken: 'tok_visa' });
    await admin.client.data(PurchaseCreditsDocument, { input: { teamId, amountTicks: '10000000000', paymentMethodId: card.addPaymentMethod.id, idempotencyKey: randomUUID() } });
    const apiKeyId = await createBilledApiKey(graph, admin, teamId);
    const requestId = randomUUID();
    const reported = await anonymous
      .as(graph.usageReporterToken)
      .request(RecordUsageDocument, { events: [{ requestId, teamId, apiKeyId, model: 'grok-3-mini', promptTokens: 10, completionTokens: 5 }] }, { 'x-request-id': 'req-usage-0001' });
    expect(reported.data?.recordUsage.accepted).toBe(1);
    // Records go to the bus in the order operations end: once a later operation's is in Audit,
    // the reporter's would be too.
    await admin.client.request(TeamApiKeysDocument, { id: teamId }, { 'x-request-id': 'req-after-usage-0001' });
    await eventually(async () => {
      if ((await byRequestIds(['req-after-usage-0001'])).length === 0) throw new Error('not recorded yet');
    });
    expect(await byRequestIds(['req-usage-0001'])).toEqual([]);
    const logged = await eventually(async () => {
      const rows: { team_id: string; api_key_ids: string[] }[] = await graph.apps.audit.infra.dataSource.query(
        'SELECT team_id, api_key_ids FROM audit.api_request_log_batches WHERE $1 = ANY(request_ids)',
        [requestId],
      );
      if (rows.length === 0) throw new Error('not logged yet');
      return rows;
    });
    expect(logged).toEqual([{ team_id: teamId, api_key_ids: [apiKeyId] }]);
  });
});

/** Anything, as a client may send it: the typed client cannot send broken documents. */
async function post(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; code?: string }> {
  const response = await fetch(graph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'refusal-test/1', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = (await response.json().catch(() => ({}))) as { errors?: { extensions?: { code?: string } }[] };
  return { status: response.status, code: json.errors?.[0]?.extensions?.code };
}

const byRequestIds = async (requestIds: string[]): Promise<Row[]> =>
  graph.apps.audit.infra.dataSource.query(
    `SELECT event_id, team_id, description, outcome, actor_user_id, actor_api_key_id, actor_ip, actor_user_agent, payload FROM audit.audit_events
     WHERE event_type = 'gateway.operation' AND payload->>'requestId' = ANY($1)`,
    [requestIds],
  );

const metric = async (reason: string): Promise<number> => {
  const text = await (await fetch(graph.url.replace('/graphql', '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`graphql_refusals_unrecorded_total{reason="${reason}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('operations refused before execution', () => {
  it('records an invalid document, an over-limit one and an invalid session against the team they name, with the actor', async () => {
    const teamId = admin.personalTeamId;
    const bearer = { authorization: `Bearer ${admin.token}` };
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: id`).join(' ');
    expect(await post({ query: 'query Bad($id: ID!) { team(id: $id) { id nope } }', operationName: 'Bad', variables: { id: teamId } }, { ...bearer, 'x-request-id': 'ref-invalid-01' })).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(await post({ query: `query Wide($id: ID!) { team(id: $id) { ${aliases} } }`, variables: { id: teamId } }, { ...bearer, 'x-request-id': 'ref-aliases-01' })).toMatchObject({ code: 'TOO_MANY_ALIASES' });
    expect(await post({ query: 'query Keys($id: ID!) { team(id: $id) { apiKeys { id } } }', variables: { id: teamId } }, { authorization: 'Bearer not-a-session', 'x-request-id': 'ref-unauth-01' })).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });

    const rows = await eventually(async () => {
      const r = await byRequestIds(['ref-invalid-01', 'ref-aliases-01', 'ref-unauth-01']);
      if (r.length < 3) throw new Error('not all recorded yet');
      return r;
    });
    const of = (id: string) => rows.filter((r) => r.payload.requestId === id);
    expect(of('ref-invalid-01')).toEqual([expect.objectContaining({ team_id: teamId, description: 'GetTeam', outcome: 'FAILED', actor_user_id: admin.id, actor_user_agent: 'refusal-test/1' })]);
    expect(of('ref-invalid-01')[0].payload).toMatchObject({ operationName: 'Bad', errorCodes: ['GRAPHQL_VALIDATION_FAILED'] });
    expect(of('ref-aliases-01')).toEqual([expect.objectContaining({ team_id: teamId, description: 'GetTeam', outcome: 'DENIED', actor_user_id: admin.id })]);
    expect(of('ref-aliases-01')[0].payload.errorCodes).toEqual(['TOO_MANY_ALIASES']);
    expect(of('ref-unauth-01')).toEqual([
      expect.objectContaining({ team_id: teamId, description: 'ListApiKeys', outcome: 'DENIED', actor_user_id: null, actor_ip: expect.stringMatching(/127\.0\.0\.1/) }),
    ]);
    expect(of('ref-unauth-01')[0].payload.errorCodes).toEqual(['UNAUTHENTICATED']);
    expect((await admin.client.data(VerifyAuditLogDocument, { teamId })).verifyAuditLog).toMatchObject({ ok: true });
  });

  it('records a management key’s untrusted document as DENIED in the key’s team, with the key as actor', async () => {
    const teamId = admin.personalTeamId;
    const created = (await admin.client.data(CreateManagementKeyDocument, { teamId, name: 'refusals', scopes: ['audit:read'] })).createManagementKey;
    expect(await post({ query: '{ me { id } }' }, { authorization: `Bearer ${created.secret}`, 'x-request-id': 'ref-untrusted-01' })).toMatchObject({ code: 'PERSISTED_QUERY_ONLY' });
    expect(await post('{"query": "{ me { id ', { authorization: `Bearer ${created.secret}`, 'x-request-id': 'ref-badjson-01' })).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    const rows = await eventually(async () => {
      const r = await byRequestIds(['ref-untrusted-01', 'ref-badjson-01']);
      if (r.length < 2) throw new Error('not recorded yet');
      return r;
    });
    const of = (id: string) => rows.find((r) => r.payload.requestId === id);
    expect(of('ref-untrusted-01')).toMatchObject({ team_id: teamId, outcome: 'DENIED', actor_api_key_id: created.managementKey.id, payload: { errorCodes: ['PERSISTED_QUERY_ONLY'] } });
    expect(of('ref-badjson-01')).toMatchObject({ team_id: teamId, description: 'InvalidOperation', outcome: 'FAILED', actor_api_key_id: created.managementKey.id });
  });

  it('records nothing for a refusal that names no team, and counts it instead', async () => {
    const before = await metric('no-team');
    const bearer = { authorization: `Bearer ${admin.token}` };
    expect(await post({ query: '{ me { id ' }, { ...bearer, 'x-request-id': 'ref-noteam-01' })).toMatchObject({ code: 'GRAPHQL_PARSE_FAILED' });
    expect(await post({ query: '{ me { nope } }' }, { 'x-request-id': 'ref-noteam-02' })).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(await post('not json', { 'x-request-id': 'ref-noteam-03' })).toMatchObject({ status: 400 });
    expect(await metric('no-team')).toBeGreaterThanOrEqual(before + 3);
    // A recorded refusal sent after them arrives; the unattributed ones never do.
    await post({ query: '{ team(id: "' + admin.personalTeamId + '") { nope } }' }, { ...bearer, 'x-request-id': 'ref-noteam-marker' });
    await eventually(async () => {
      if ((await byRequestIds(['ref-noteam-marker'])).length === 0) throw new Error('marker not recorded yet');
    });
    expect(await byRequestIds(['ref-noteam-01', 'ref-noteam-02', 'ref-noteam-03'])).toEqual([]);
  });

  it('records at most its budget of refusals per team per minute, however many are sent', async () => {
    const teamId = member.personalTeamId;
    const bearer = { authorization: `Bearer ${member.token}` };
    const before = await metric('over-budget');
    const ids = Array.from({ length: 75 }, (_, i) => `ref-flood-${String(i).padStart(3, '0')}`);
    for (const id of ids) await post({ query: `{ team(id: "${teamId}") { nope } }` }, { ...bearer, 'x-request-id': id });
    await eventually(async () => {
      if ((await byRequestIds(ids)).length < 60) throw new Error('not recorded yet');
    });
    expect(await byRequestIds(ids)).toHaveLength(60);
    expect(await metric('over-budget')).toBeGreaterThanOrEqual(before + 15);
  });
});

describe('subscriptions refused by a rate limit', () => {
  let limited: TestGraph;
  beforeAll(async () => {
    limited = await startGraph({ operationLog: true, rateLimits: { windowMs: 60_000, operationsPerPrincipal: 6, operationsPerIp: 1000, costPerWindow: 1e9, sensitivePerIp: 1000 } });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('records a WebSocket subscription refused with RATE_LIMITED as DENIED in the team it names, before the client hears of it', async () => {
    const user = await signUpUserWithTeam(new GraphClient(limited.url));
    // Spend the principal's budget on operations that name no team (their refusals are not recorded).
    for (let i = 0; i < 10 && (await user.client.request(MeDocument)).errors?.[0]?.extensions?.code !== 'RATE_LIMITED'; i++);
    const ws = user.client.ws();
    try {
      const answer = await subscribe(ws, CreditBalanceChangedDocument, { teamId: user.personalTeamId }).next();
      expect(answer.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      // Published before the answer went out: the record is on the bus the moment the client has it.
      const [{ published }] = await limited.apps.audit.infra.dataSource.query(
        `SELECT count(*)::int AS published FROM eventbus.events, jsonb_array_elements(envelope->'payload'->'operations') AS op
         WHERE type = 'gateway.operations.recorded' AND op->>'teamId' = $1 AND op->>'description' = 'SubscribeCreditBalanceChanged'`,
        [user.personalTeamId],
      );
      expect(published).toBe(1);
      const rows: Row[] = await eventually(async () => {
        const r = await limited.apps.audit.infra.dataSource.query(
          `SELECT description, outcome, actor_user_id, payload FROM audit.audit_events WHERE chain_id = $1 AND event_type = 'gateway.operation'`,
          [user.personalTeamId],
        );
        if (r.length === 0) throw new Error('not recorded yet');
        return r;
      });
      expect(rows).toEqual([expect.objectContaining({ description: 'SubscribeCreditBalanceChanged', outcome: 'DENIED', actor_user_id: user.id })]);
      expect(rows[0].payload.errorCodes).toEqual(['RATE_LIMITED']);
    } finally {
      await ws.dispose();
    }
  });
});
