import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddTeamMemberDocument, AuditLogDocument, CreateApiKeyDocument, CreateTeamDocument, EnableApiKeyDocument, RotateApiKeyDocument, TeamApiKeysDocument } from '../operations/generated';
import { generateApiKey } from '../../subgraphs/team/api-key/api-key-format';
import type { VerifyResult } from '../../subgraphs/team/api-key/api-key-verifier';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { allMailSent, signUpUserWithTeam, signUpVerifiedUserWithTeam, type SignedUpUser } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';
import { callInternal } from '../support/internal';

/** GitHub's side, played for real: a P-256 key pair and the public-keys document on loopback. */
let github: { server: Server; privateKey: KeyObject; keyId: string; url: string };
let graph: TestGraph;
let anonymous: GraphClient;

beforeAll(async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyId = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ public_keys: [{ key_identifier: keyId, key: publicKey.export({ type: 'spki', format: 'pem' }), is_current: true }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  github = { server, privateKey, keyId, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/meta/public_keys/secret_scanning` };
  graph = await startGraph({ subgraphs: { secretScanningKeysUrl: github.url } });
  anonymous = new GraphClient(graph.url);
});

afterAll(async () => {
  await graph?.stop();
  await new Promise((r) => github?.server.close(r));
});

const webhookUrl = () => graph.url.replace('/graphql', '/webhooks/github/secret-scanning');
const verify = (key: string) => callInternal<VerifyResult>(graph.apps.team.url, 'verify-api-key', { key }, graph.secret);

async function report(findings: object[], options: { key?: KeyObject; keyId?: string; tamper?: boolean } = {}) {
  const body = Buffer.from(JSON.stringify(findings));
  const signature = sign('sha256', body, { key: options.key ?? github.privateKey, dsaEncoding: 'der' }).toString('base64');
  const sent = options.tamper ? Buffer.from(JSON.stringify([...findings, { token: 'x', type: 'x' }])) : body;
  const response = await fetch(webhookUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'github-public-key-identifier': options.keyId ?? github.keyId, 'github-public-key-signature': signature },
    body: sent,
  });
  return { status: response.status, body: await response.json() };
}

/** Leaked-key mail the SMTP server received for these addresses. */
const leakMailsTo = (recipients: string[]): { recipient: string; subject: string }[] =>
  graph.mailbox.messages
    .filter((m) => m.subject.includes('was found in public'))
    .flatMap((m) => m.to.filter((to) => recipients.includes(to)).map((recipient) => ({ recipient, subject: m.subject })));

async function teamKey(admin: SignedUpUser): Promise<{ teamId: string; id: string; secret: string }> {
  const teamId = (await admin.client.data(CreateTeamDocument, { input: { name: 'Leaky' } })).createTeam.id;
  const { createApiKey } = await admin.client.data(CreateApiKeyDocument, { teamId, input: { name: 'prod', acls: ['api-key:model:*'] } });
  return { teamId, id: createApiKey.apiKey.id, secret: createApiKey.secret };
}

describe('GitHub Secret Scanning reports', () => {
  it('disables a reported key of ours at once, mails its team, and answers true_positive', async () => {
    const admin = await signUpVerifiedUserWithTeam(anonymous, graph);
    const key = await teamKey(admin);
    const stranger = generateApiKey();
    const { status, body } = await report([
      { token: key.secret, type: 'console_graph_api_key', url: 'https://github.com/o/r/blob/sha/.env', source: 'content' },
      { token: stranger, type: 'console_graph_api_key', url: '', source: 'commit' },
      { token: 'ghp_not_ours', type: 'console_graph_api_key', url: '', source: 'commit' },
    ]);
    expect(status).toBe(200);
    expect(body).toEqual([
      { token_hash: createHash('sha256').update(key.secret).digest('hex'), token_type: 'console_graph_api_key', label: 'true_positive' },
      { token_hash: createHash('sha256').update(stranger).digest('hex'), token_type: 'console_graph_api_key', label: 'false_positive' },
      { token_hash: createHash('sha256').update('ghp_not_ours').digest('hex'), token_type: 'console_graph_api_key', label: 'false_positive' },
    ]);
    expect(await verify(key.secret)).toEqual({ valid: false, reason: 'LEAKED' });
    const keys = await admin.client.data(TeamApiKeysDocument, { id: key.teamId });
    expect(keys.team?.apiKeys.find((k) => k.id === key.id)?.status).toBe('LEAKED');
    await allMailSent(graph);
    expect(leakMailsTo([admin.email])).toEqual([{ recipient: admin.email, subject: 'API key "prod" was found in public and has been disabled' }]);
    await eventually(async () => {
      const log = await admin.client.data(AuditLogDocument, { teamId: key.teamId, first: 20 });
      expect(log.auditLog.edges.map((e) => e.node.description)).toContain('ApiKeyLeaked');
    });
  });

  it('lets a leaked key be rotated in one step, but not re-enabled', async () => {
    const admin = await signUpUserWithTeam(anonymous);
    const key = await teamKey(admin);
    await report([{ token: key.secret, type: 'console_graph_api_key' }]);
    const reenabled = await admin.client.request(EnableApiKeyDocument, { id: key.id });
    expect(reenabled.errors?.[0].extensions?.code).toBe('KEY_LEAKED');
    const rotated = (await admin.client.data(RotateApiKeyDocument, { id: key.id, graceSeconds: 3600 })).rotateApiKey;
    expect(rotated.apiKey).toMatchObject({ name: 'prod', acls: ['api-key:model:*'], status: 'ACTIVE' });
    expect((await verify(rotated.secret)).valid).toBe(true);
    expect((await verify(key.secret)).valid).toBe(false);
  });

  it('refuses a report with a bad signature, an unknown key or a tampered body, changing nothing', async () => {
    const admin = await signUpUserWithTeam(anonymous);
    const key = await teamKey(admin);
    const { privateKey: otherKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const findings = [{ token: key.secret, type: 'console_graph_api_key' }];
    expect((await report(findings, { key: otherKey })).status).toBe(401);
    expect((await report(findings, { keyId: 'unknown-key-id' })).status).toBe(401);
    expect((await report(findings, { tamper: true })).status).toBe(401);
    const unsigned = await fetch(webhookUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(findings) });
    expect(unsigned.status).toBe(401);
    expect((await verify(key.secret)).valid).toBe(true);
  });

  it("mails each team's Admins and each key's creator, looking them up once for the whole report", async () => {
    const admin = await signUpVerifiedUserWithTeam(anonymous, graph);
    const member = await signUpVerifiedUserWithTeam(anonymous, graph);
    const first = await teamKey(admin);
    await admin.client.data(AddTeamMemberDocument, { teamId: first.teamId, email: member.email });
    const byMember = (await member.client.data(CreateApiKeyDocument, { teamId: first.teamId, input: { name: 'member key' } })).createApiKey;
    const otherAdmin = await signUpVerifiedUserWithTeam(anonymous, graph);
    const second = await teamKey(otherAdmin);
    const findings = [first.secret, byMember.secret, second.secret].map((token) => ({ token, type: 'console_graph_api_key' }));
    const { result, statements } = await graph.apps.team.infra.statements.capture(() => report(findings));
    expect(result.status).toBe(200);
    expect(statements.filter((q) => /FROM "team"\."memberships"/.test(q))).toHaveLength(1);
    expect(statements.filter((q) => /FROM "team"\."user_directory"/.test(q))).toHaveLength(1);
    await allMailSent(graph);
    const mails = leakMailsTo([admin.email, member.email, otherAdmin.email]);
    expect(mails.map((m) => [m.recipient, m.subject]).sort()).toEqual(
      [
        [admin.email, 'API key "prod" was found in public and has been disabled'],
        [admin.email, 'API key "member key" was found in public and has been disabled'],
        [member.email, 'API key "member key" was found in public and has been disabled'],
        [otherAdmin.email, 'API key "prod" was found in public and has been disabled'],
      ].sort(),
    );
  });

  it('mails no address its account has not verified, and still disables the key', async () => {
    // The Admin only typed their address at sign-up: it may be someone else's.
    const admin = await signUpUserWithTeam(anonymous);
    const member = await signUpVerifiedUserWithTeam(anonymous, graph);
    const key = await teamKey(admin);
    await admin.client.data(AddTeamMemberDocument, { teamId: key.teamId, email: member.email });
    const byMember = (await member.client.data(CreateApiKeyDocument, { teamId: key.teamId, input: { name: 'member key' } })).createApiKey;
    const { status } = await report([key.secret, byMember.secret].map((token) => ({ token, type: 'console_graph_api_key' })));
    expect(status).toBe(200);
    expect(await verify(key.secret)).toEqual({ valid: false, reason: 'LEAKED' });
    expect(await verify(byMember.secret)).toEqual({ valid: false, reason: 'LEAKED' });
    await allMailSent(graph);
    expect(leakMailsTo([admin.email, member.email])).toEqual([{ recipient: member.email, subject: 'API key "member key" was found in public and has been disabled' }]);
  });

  it('answers a batch of 1,000 reported tokens in one request', async () => {
    const admin = await signUpUserWithTeam(anonymous);
    const key = await teamKey(admin);
    const findings = Array.from({ length: 999 }, () => ({ token: generateApiKey(), type: 'console_graph_api_key', url: '', source: 'content' }));
    findings.splice(500, 0, { token: key.secret, type: 'console_graph_api_key', url: '', source: 'content' });
    const { status, body } = await report(findings);
    expect(status).toBe(200);
    expect(body).toHaveLength(1000);
    expect((body as { label: string }[]).filter((f) => f.label === 'true_positive')).toHaveLength(1);
    expect((body as { label: string }[])[500].label).toBe('true_positive');
  });
});
