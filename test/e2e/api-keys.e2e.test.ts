import {
  AddTeamMemberDocument,
  AuditLogDocument,
  CreateApiKeyDocument,
  CreateTeamDocument,
  DeleteApiKeyDocument,
  DeleteTeamDocument,
  DisableApiKeyDocument,
  EnableApiKeyDocument,
  RemoveTeamMemberDocument,
  RotateApiKeyDocument,
  TeamApiKeysDocument,
  UpdateApiKeyDocument,
} from '../operations/generated';
import { isWellFormedApiKey } from '../../subgraphs/team/api-key/api-key-format';
import type { VerifyResult } from '../../subgraphs/team/api-key/api-key-verifier';
import type { TeamServices } from '../../subgraphs/team/team.context';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { signUpUserWithTeam, signUpVerifiedUserWithTeam, type SignedUpUser } from '../support/factories';
import { useGraph, type TestGraph } from '../support/graph';
import { callInternal } from '../support/internal';

let graph: TestGraph;
let anonymous: GraphClient;
useGraph((started) => ({ graph, anonymous } = started));

const verify = (key: string) => callInternal<VerifyResult>(graph.apps.team.url, 'verify-api-key', { key }, graph.secret);
const code = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;

async function teamWithMember(): Promise<{ admin: SignedUpUser; member: SignedUpUser; teamId: string }> {
  const admin = await signUpUserWithTeam(anonymous);
  const member = await signUpVerifiedUserWithTeam(anonymous, graph);
  const teamId = (await admin.client.data(CreateTeamDocument, { input: { name: 'Keys' } })).createTeam.id;
  await admin.client.data(AddTeamMemberDocument, { teamId, email: member.email });
  return { admin, member, teamId };
}

const createKey = (user: SignedUpUser, teamId: string, input: Record<string, unknown> = {}) =>
  user.client.data(CreateApiKeyDocument, { teamId, input: { name: 'ci', acls: ['api-key:model:*', 'api-key:endpoint:chat'], ...input } });

describe('creating keys', () => {
  it('shows the secret once, in a scannable format, and stores only its hash', async () => {
    const { admin, teamId } = await teamWithMember();
    const { createApiKey } = await createKey(admin, teamId, { qpm: 600, tpm: '1000000' });
    expect(createApiKey.secret).toMatch(/^cgk_[0-9A-Za-z]{36}$/);
    expect(isWellFormedApiKey(createApiKey.secret)).toBe(true);
    expect(createApiKey.apiKey).toMatchObject({ name: 'ci', status: 'ACTIVE', qpm: 600, tpm: '1000000', createdBy: { id: admin.id }, team: { id: teamId } });
    expect(createApiKey.apiKey.redactedKey).toBe(`cgk_…${createApiKey.secret.slice(-4)}`);
    const rows = await graph.apps.team.infra.dataSource.query('SELECT * FROM team.api_keys WHERE id = $1', [createApiKey.apiKey.id]);
    expect(JSON.stringify(rows)).not.toContain(createApiKey.secret);
  });

  it('grants nothing that was not asked for', async () => {
    const { admin, teamId } = await teamWithMember();
    const { createApiKey } = await createKey(admin, teamId, { acls: null });
    expect(createApiKey.apiKey.acls).toEqual([]);
    expect(await verify(createApiKey.secret)).toMatchObject({ valid: true, acls: [] });
  });

  it('refuses unknown access rules and limits that make no sense', async () => {
    const { admin, teamId } = await teamWithMember();
    for (const input of [{ acls: ['api-key:root'] }, { qps: 0 }, { expiresAt: new Date(Date.now() - 1000).toISOString() }, { name: '' }]) {
      const result = await admin.client.request(CreateApiKeyDocument, { teamId, input: { name: 'x', ...input } as never });
      expect(code(result)).toBe('BAD_USER_INPUT');
    }
  });
});

describe('verifying keys', () => {
  it('answers with the team, rules and limits of a good key', async () => {
    const { admin, teamId } = await teamWithMember();
    const { createApiKey } = await createKey(admin, teamId, { qps: 5 });
    expect(await verify(createApiKey.secret)).toEqual({
      valid: true,
      keyId: createApiKey.apiKey.id,
      teamId,
      acls: ['api-key:model:*', 'api-key:endpoint:chat'],
      limits: { qps: 5, qpm: null, tpm: null },
    });
  });

  it('refuses a malformed key or a bad checksum without touching the database', async () => {
    const { admin, teamId } = await teamWithMember();
    const { secret } = (await createKey(admin, teamId)).createApiKey;
    const tampered = secret.slice(0, 10) + (secret[10] === 'a' ? 'b' : 'a') + secret.slice(11);
    const { result, statements } = await graph.apps.team.infra.statements.capture(async () => [await verify(tampered), await verify('sk-not-ours'), await verify('cgk_short')]);
    expect(result.every((r) => !r.valid && r.reason === 'MALFORMED')).toBe(true);
    // Only the verifier's statements count: the subgraph's background workers (mail, outbox) poll on their own.
    expect(statements.filter((s) => /api_keys/.test(s))).toEqual([]);
  });

  it('says a well-formed key that is not ours is unknown', async () => {
    const result = await verify('cgk_' + '0'.repeat(30) + 'zzzzzz');
    expect(result.valid).toBe(false);
  });

  it('records last use without a write per request', async () => {
    const { admin, teamId } = await teamWithMember();
    const { createApiKey } = await createKey(admin, teamId);
    const verifier = (graph.apps.team.services as TeamServices).apiKeyVerifier;
    // Earlier tests' last uses go out first, so the window below holds only these requests'.
    await verifier.flush();
    const { statements } = await graph.apps.team.infra.statements.capture(async () => {
      for (let i = 0; i < 20; i++) await verify(createApiKey.secret);
    });
    // Twenty requests, and at most the one periodic flush (every 5 s) that may fall in the window.
    expect(statements.filter((s) => /UPDATE\b.*api_keys/is.test(s)).length).toBeLessThanOrEqual(1);
    await verifier.flush();
    const keys = await admin.client.data(TeamApiKeysDocument, { id: teamId });
    expect(keys.team?.apiKeys.find((k) => k.id === createApiKey.apiKey.id)?.lastUsedAt).not.toBeNull();
  });
});

describe('managing keys', () => {
  it('lists all keys for Admins and only their own for Members', async () => {
    const { admin, member, teamId } = await teamWithMember();
    const mine = (await createKey(member, teamId, { name: 'member key' })).createApiKey.apiKey.id;
    const theirs = (await createKey(admin, teamId, { name: 'admin key' })).createApiKey.apiKey.id;
    expect((await admin.client.data(TeamApiKeysDocument, { id: teamId })).team?.apiKeys.map((k) => k.id).sort()).toEqual([mine, theirs].sort());
    expect((await member.client.data(TeamApiKeysDocument, { id: teamId })).team?.apiKeys.map((k) => k.id)).toEqual([mine]);
  });

  it("refuses a Member managing another member's key", async () => {
    const { admin, member, teamId } = await teamWithMember();
    const { createApiKey } = await createKey(admin, teamId);
    const id = createApiKey.apiKey.id;
    for (const result of [
      await member.client.request(DisableApiKeyDocument, { id }),
      await member.client.request(DeleteApiKeyDocument, { id }),
      await member.client.request(RotateApiKeyDocument, { id }),
      await member.client.request(UpdateApiKeyDocument, { id, input: { name: 'mine' } }),
    ]) {
      expect(code(result)).toBe('FORBIDDEN');
    }
    expect((await verify(createApiKey.secret)).valid).toBe(true);
  });

  it("refuses someone outside the team at the key's id", async () => {
    const { admin, teamId } = await teamWithMember();
    const outsider = await signUpUserWithTeam(anonymous);
    const { createApiKey } = await createKey(admin, teamId);
    expect(code(await outsider.client.request(DisableApiKeyDocument, { id: createApiKey.apiKey.id }))).toBe('FORBIDDEN');
  });

  it('disables, re-enables and deletes, each effective on the very next check', async () => {
    const { admin, member, teamId } = await teamWithMember();
    const { createApiKey } = await createKey(member, teamId);
    const id = createApiKey.apiKey.id;
    expect((await member.client.data(DisableApiKeyDocument, { id })).disableApiKey.status).toBe('DISABLED');
    expect(await verify(createApiKey.secret)).toEqual({ valid: false, reason: 'DISABLED' });
    expect((await admin.client.data(EnableApiKeyDocument, { id })).enableApiKey.status).toBe('ACTIVE');
    expect((await verify(createApiKey.secret)).valid).toBe(true);
    expect((await admin.client.data(DeleteApiKeyDocument, { id })).deleteApiKey).toBe(true);
    expect(await verify(createApiKey.secret)).toEqual({ valid: false, reason: 'DELETED' });
  });

  it('stops an expired key by itself', async () => {
    const { admin, teamId } = await teamWithMember();
    const { createApiKey } = await createKey(admin, teamId, { expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await verify(createApiKey.secret)).valid).toBe(true);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await verify(createApiKey.secret)).toEqual({ valid: false, reason: 'EXPIRED' });
  });

  it('rotates into a new secret with the same settings, keeping the old one for the grace period', async () => {
    const { admin, teamId } = await teamWithMember();
    const first = (await createKey(admin, teamId, { qpm: 60 })).createApiKey;
    const graceful = (await admin.client.data(RotateApiKeyDocument, { id: first.apiKey.id, graceSeconds: 3600 })).rotateApiKey;
    expect(graceful.apiKey).toMatchObject({ name: 'ci', acls: first.apiKey.acls, status: 'ACTIVE' });
    expect((await verify(first.secret)).valid).toBe(true);
    expect((await verify(graceful.secret)).valid).toBe(true);

    const immediate = (await admin.client.data(RotateApiKeyDocument, { id: graceful.apiKey.id, graceSeconds: 0 })).rotateApiKey;
    expect(await verify(graceful.secret)).toEqual({ valid: false, reason: 'EXPIRED' });
    expect((await verify(immediate.secret)).valid).toBe(true);
    expect(code(await admin.client.request(RotateApiKeyDocument, { id: immediate.apiKey.id, graceSeconds: 8 * 24 * 3600 }))).toBe('BAD_USER_INPUT');
  });

  it("keeps working when its creator leaves the team, and stops when the team is deleted", async () => {
    const { admin, member, teamId } = await teamWithMember();
    const { createApiKey } = await createKey(member, teamId);
    await admin.client.data(RemoveTeamMemberDocument, { teamId, userId: member.id });
    expect((await verify(createApiKey.secret)).valid).toBe(true);
    expect((await admin.client.data(TeamApiKeysDocument, { id: teamId })).team?.apiKeys.map((k) => k.id)).toContain(createApiKey.apiKey.id);

    await admin.client.data(DeleteTeamDocument, { id: teamId });
    expect(await verify(createApiKey.secret)).toEqual({ valid: false, reason: 'DELETED' });
  });

  it('writes an audit event for every key action', async () => {
    const { admin, teamId } = await teamWithMember();
    const { createApiKey } = await createKey(admin, teamId);
    await admin.client.data(TeamApiKeysDocument, { id: teamId });
    await admin.client.data(DisableApiKeyDocument, { id: createApiKey.apiKey.id });
    await admin.client.data(EnableApiKeyDocument, { id: createApiKey.apiKey.id });
    await admin.client.data(RotateApiKeyDocument, { id: createApiKey.apiKey.id, graceSeconds: 60 });
    await eventually(async () => {
      const log = await admin.client.data(AuditLogDocument, { teamId, first: 50 });
      const descriptions = log.auditLog.edges.map((e) => e.node.description);
      for (const action of ['CreateApiKey', 'ListApiKeys', 'DisableApiKey', 'EnableApiKey', 'RotateApiKey']) expect(descriptions).toContain(action);
    });
  });
});
