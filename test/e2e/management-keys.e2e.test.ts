import {
  AddTeamMemberDocument,
  AuditLogDocument,
  CreateApiKeyDocument,
  CreateManagementKeyDocument,
  CreateTeamDocument,
  DisableApiKeyDocument,
  MeDocument,
  RevokeManagementKeyDocument,
  TeamApiKeysDocument,
  TeamBalanceDocument,
  UpdateTeamDocument,
} from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { signUpUserWithTeam, signUpVerifiedUserWithTeam } from '../support/factories';
import { useGraph, type TestGraph } from '../support/graph';

let graph: TestGraph;
let anonymous: GraphClient;
useGraph((started) => ({ graph, anonymous } = started));

const code = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;

async function partnerSetup(scopes: string[]) {
  const admin = await signUpUserWithTeam(anonymous);
  const teamId = (await admin.client.data(CreateTeamDocument, { input: { name: 'Partnered' } })).createTeam.id;
  const created = (await admin.client.data(CreateManagementKeyDocument, { teamId, name: 'partner', scopes })).createManagementKey;
  expect(created.secret).toMatch(/^cgm_[0-9A-Za-z]{36}$/);
  return { admin, teamId, keyId: created.managementKey.id, secret: created.secret, partner: anonymous.as(created.secret, true) };
}

describe('management keys', () => {
  it('let a partner manage API keys and read the audit log of its team, within its scopes', async () => {
    const { admin, teamId, keyId, partner } = await partnerSetup(['api-keys:read', 'api-keys:write', 'audit:read']);
    const made = await partner.data(CreateApiKeyDocument, { teamId, input: { name: 'made by partner', acls: ['api-key:model:*'] } });
    expect(made.createApiKey.apiKey.createdBy.id).toBe(admin.id);
    expect((await partner.data(TeamApiKeysDocument, { id: teamId })).team?.apiKeys.map((k) => k.name)).toEqual(['made by partner']);
    expect((await partner.data(DisableApiKeyDocument, { id: made.createApiKey.apiKey.id })).disableApiKey.status).toBe('DISABLED');
    await eventually(async () => {
      const log = await partner.data(AuditLogDocument, { teamId, first: 20 });
      const created = log.auditLog.edges.find((e) => e.node.description === 'CreateApiKey');
      expect(created?.node.actor).toMatchObject({ userId: admin.id });
    });
  });

  it('refuses what the key was not granted, and other teams', async () => {
    const { admin, teamId, partner } = await partnerSetup(['api-keys:read']);
    expect(code(await partner.request(TeamBalanceDocument, { id: teamId }))).toBe('FORBIDDEN');
    expect(code(await partner.request(CreateApiKeyDocument, { teamId, input: { name: 'nope' } }))).toBe('FORBIDDEN');
    expect(code(await partner.request(UpdateTeamDocument, { id: teamId, input: { name: 'taken over' } }))).toBe('FORBIDDEN');
    expect(code(await partner.request(AuditLogDocument, { teamId }))).toBe('FORBIDDEN');
    expect(code(await partner.request(TeamApiKeysDocument, { id: admin.personalTeamId }))).toBe('FORBIDDEN');
    expect(code(await partner.request(CreateTeamDocument, { input: { name: 'x' } }))).toBe('FORBIDDEN');
    expect((await partner.data(MeDocument)).me).toBeNull();
  });

  it('accept only trusted documents from a partner', async () => {
    const { teamId, secret } = await partnerSetup(['api-keys:read']);
    const arbitrary = anonymous.as(secret, false);
    const result = await arbitrary.request(`{ team(id: "${teamId}") { id name } }`);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    const unknownHash = await fetch(graph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }),
    });
    expect((await unknownHash.json()).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('are created by Admins only, and stop working once revoked', async () => {
    const { admin, teamId, keyId, partner } = await partnerSetup(['api-keys:read']);
    const member = await signUpVerifiedUserWithTeam(anonymous, graph);
    await admin.client.data(AddTeamMemberDocument, { teamId, email: member.email });
    expect(code(await member.client.request(CreateManagementKeyDocument, { teamId, name: 'mine', scopes: ['audit:read'] }))).toBe('FORBIDDEN');
    expect(code(await admin.client.request(CreateManagementKeyDocument, { teamId, name: 'bad', scopes: ['everything'] }))).toBe('BAD_USER_INPUT');

    expect((await partner.data(TeamApiKeysDocument, { id: teamId })).team?.id).toBe(teamId);
    await admin.client.data(RevokeManagementKeyDocument, { teamId, id: keyId });
    expect(code(await partner.request(TeamApiKeysDocument, { id: teamId }))).toBe('UNAUTHENTICATED');
  });
});
