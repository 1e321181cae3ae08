import { randomBytes } from 'node:crypto';
import {
  AddPaymentMethodDocument,
  AddTeamDomainDocument,
  AddTeamMemberDocument,
  ApproveJoinRequestDocument,
  AuditLogDocument,
  CancelTeamInvitationDocument,
  ChangeTeamMemberRoleDocument,
  CreateTeamDocument,
  DeleteTeamDocument,
  InviteTeamMemberDocument,
  LeaveTeamDocument,
  MeDocument,
  PurchaseCreditsDocument,
  RefuseJoinRequestDocument,
  RemoveTeamDomainDocument,
  RemoveTeamMemberDocument,
  SetTeamDomainJoinPolicyDocument,
  TeamAdminViewDocument,
  TeamBalanceDocument,
  TeamDocument,
  UpdateTeamDocument,
  VerifyTeamDomainDocument,
} from '../operations/generated';
import { GraphClient } from '../support/client';
import { TestDnsServer } from '../support/dns-server';
import { eventually } from '../support/eventually';
import { signUpUser, signUpUserWithTeam, signUpVerifiedUserWithTeam, uniqueEmail, verifyEmailForTeams, verifyEmailOf, type SignedUpUser } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';

let graph: TestGraph;
let dns: TestDnsServer;
let anonymous: GraphClient;

beforeAll(async () => {
  dns = new TestDnsServer();
  const resolver = await dns.start();
  graph = await startGraph({ subgraphs: { dnsResolvers: [resolver] } });
  anonymous = new GraphClient(graph.url);
});

afterAll(async () => {
  await graph?.stop();
  await dns?.stop();
});

const code = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;

/** An Admin with a new (non-personal) team. */
async function adminWithTeam(): Promise<SignedUpUser & { teamId: string }> {
  const admin = await signUpUserWithTeam(anonymous);
  const { createTeam } = await admin.client.data(CreateTeamDocument, { input: { name: `Team ${randomBytes(2).toString('hex')}` } });
  return { ...admin, teamId: createTeam.id };
}

async function withMember(role: 'ADMIN' | 'MEMBER' = 'MEMBER') {
  const admin = await adminWithTeam();
  const member = await signUpVerifiedUserWithTeam(anonymous, graph);
  await admin.client.data(AddTeamMemberDocument, { teamId: admin.teamId, email: member.email, role });
  return { admin, member, teamId: admin.teamId };
}

const teamOf = (client: GraphClient, id: string) => client.request(TeamDocument, { id });
const identityDb = () => graph.apps.identity.infra.dataSource;

/** Team has recorded the address the user typed at sign-up (unverified). */
async function signUpHandled(userId: string): Promise<void> {
  await eventually(async () => {
    const rows = await graph.apps.team.infra.dataSource.query('SELECT email_verified FROM team.user_directory WHERE user_id = $1', [userId]);
    expect(rows).toEqual([{ email_verified: false }]);
  });
}

/** Team has handled the user's email verification (its consumer recorded the event). */
async function verificationHandled(userId: string): Promise<void> {
  const [event] = await identityDb().query(`SELECT event_id AS id FROM identity.outbox WHERE type = 'identity.user.email_verified' AND aggregate_id = $1`, [userId]);
  await eventually(async () => {
    const rows = await graph.apps.team.infra.dataSource.query(`SELECT 1 FROM team.processed_events WHERE consumer = 'team.email-verified' AND event_id = $1`, [event.id]);
    expect(rows).toHaveLength(1);
  });
}

describe('members', () => {
  it('adds an existing account by email; the member sees the team, its members and their roles', async () => {
    const { admin, member, teamId } = await withMember();
    const view = await member.client.data(TeamDocument, { id: teamId });
    expect(view.team?.members.map((m) => [m.user.id, m.role]).sort()).toEqual([[admin.id, 'ADMIN'], [member.id, 'MEMBER']].sort());
    // Teammates' emails reach the member once Identity has heard of the membership.
    await eventually(async () => {
      const again = await member.client.data(TeamDocument, { id: teamId });
      expect(again.team?.members.find((m) => m.user.id === admin.id)?.user.email).toBe(admin.email);
    });
  });

  it('refuses an email with no account on addTeamMember and writes nothing', async () => {
    const admin = await adminWithTeam();
    const result = await admin.client.request(AddTeamMemberDocument, { teamId: admin.teamId, email: uniqueEmail('nobody') });
    expect(code(result)).toBe('ACCOUNT_NOT_FOUND');
    const view = await admin.client.data(TeamAdminViewDocument, { id: admin.teamId });
    expect(view.team?.members).toHaveLength(1);
    expect(view.team?.invitations).toHaveLength(0);
  });

  it('does not add an account whose address is unverified, answering as for an unknown address; once verified it can be added', async () => {
    const admin = await adminWithTeam();
    // Anyone can type someone else's address at sign-up.
    const typed = await signUpUser(anonymous);
    await signUpHandled(typed.id);
    const refused = await admin.client.request(AddTeamMemberDocument, { teamId: admin.teamId, email: typed.email });
    const unknown = await admin.client.request(AddTeamMemberDocument, { teamId: admin.teamId, email: uniqueEmail('nobody') });
    expect(code(refused)).toBe('ACCOUNT_NOT_FOUND');
    expect(refused.errors?.[0].message).toBe(unknown.errors?.[0].message);
    expect(refused.data).toEqual(unknown.data);
    const view = await admin.client.data(TeamAdminViewDocument, { id: admin.teamId });
    expect(view.team?.members.map((m) => m.user.id)).toEqual([admin.id]);
    expect(view.team?.invitations).toEqual([]);
    expect((await typed.client.data(MeDocument)).me?.teams.some((t) => t.team.id === admin.teamId)).toBe(false);

    await verifyEmailForTeams(typed, graph);
    const added = await admin.client.data(AddTeamMemberDocument, { teamId: admin.teamId, email: typed.email });
    expect(added.addTeamMember).toEqual({ role: 'MEMBER', user: { id: typed.id } });
  });

  it('invites an account whose address is unverified, and fulfils the invitation once it verifies the address', async () => {
    const admin = await adminWithTeam();
    const typed = await signUpUser(anonymous);
    await signUpHandled(typed.id);
    const invited = await admin.client.data(InviteTeamMemberDocument, { teamId: admin.teamId, email: typed.email, role: 'ADMIN' });
    expect(invited.inviteTeamMember).toMatchObject({ __typename: 'TeamInvitation', email: typed.email, role: 'ADMIN' });
    expect((await typed.client.data(MeDocument)).me?.teams.some((t) => t.team.id === admin.teamId)).toBe(false);

    await verifyEmailOf(typed, graph.mailbox);
    await eventually(async () => {
      const me = await typed.client.data(MeDocument);
      expect(me.me?.teams.find((t) => t.team.id === admin.teamId)?.role).toBe('ADMIN');
    });
    expect((await admin.client.data(TeamAdminViewDocument, { id: admin.teamId })).team?.invitations).toEqual([]);
  });

  it('refuses adding someone twice', async () => {
    const { admin, member, teamId } = await withMember();
    expect(code(await admin.client.request(AddTeamMemberDocument, { teamId, email: member.email }))).toBe('ALREADY_MEMBER');
  });

  it('invites an email without an account and fulfils the invitation once that person signs up and verifies the address', async () => {
    const admin = await adminWithTeam();
    const email = uniqueEmail('invitee');
    const invited = await admin.client.data(InviteTeamMemberDocument, { teamId: admin.teamId, email, role: 'ADMIN' });
    expect(invited.inviteTeamMember).toMatchObject({ __typename: 'TeamInvitation', email, role: 'ADMIN' });
    expect((await admin.client.data(TeamAdminViewDocument, { id: admin.teamId })).team?.invitations.map((i) => i.email)).toEqual([email]);

    const invitee = await signUpUser(anonymous, { email });
    // Typing an address at sign-up proves nothing: the invitation waits for the verification.
    await eventually(async () => {
      const rows = await graph.apps.team.infra.dataSource.query('SELECT 1 FROM team.user_directory WHERE user_id = $1', [invitee.id]);
      expect(rows).toHaveLength(1);
    });
    expect((await invitee.client.data(MeDocument)).me?.teams.some((t) => t.team.id === admin.teamId)).toBe(false);
    expect((await admin.client.data(TeamAdminViewDocument, { id: admin.teamId })).team?.invitations.map((i) => i.email)).toEqual([email]);

    await verifyEmailOf(invitee, graph.mailbox);
    await eventually(async () => {
      const me = await invitee.client.data(MeDocument);
      expect(me.me?.teams.find((t) => t.team.id === admin.teamId)?.role).toBe('ADMIN');
    });
    expect((await admin.client.data(TeamAdminViewDocument, { id: admin.teamId })).team?.invitations).toEqual([]);
  });

  it('does not let a cancelled invitation join anyone', async () => {
    const admin = await adminWithTeam();
    const email = uniqueEmail('cancelled');
    const invited = await admin.client.data(InviteTeamMemberDocument, { teamId: admin.teamId, email });
    const invitationId = (invited.inviteTeamMember as { id: string }).id;
    expect((await admin.client.data(CancelTeamInvitationDocument, { teamId: admin.teamId, invitationId })).cancelTeamInvitation).toBe(true);
    const late = await signUpUser(anonymous, { email });
    await verifyEmailOf(late, graph.mailbox);
    await verificationHandled(late.id);
    const me = await late.client.data(MeDocument);
    expect(me.me?.teams.some((t) => t.team.id === admin.teamId)).toBe(false);
  });

  it('changes roles, and always keeps at least one Admin', async () => {
    const { admin, member, teamId } = await withMember();
    expect(code(await admin.client.request(ChangeTeamMemberRoleDocument, { teamId, userId: admin.id, role: 'MEMBER' }))).toBe('LAST_ADMIN');
    expect(code(await admin.client.request(RemoveTeamMemberDocument, { teamId, userId: admin.id }))).toBe('LAST_ADMIN');
    expect(code(await admin.client.request(LeaveTeamDocument, { teamId }))).toBe('LAST_ADMIN');
    expect((await admin.client.data(ChangeTeamMemberRoleDocument, { teamId, userId: member.id, role: 'ADMIN' })).changeTeamMemberRole.role).toBe('ADMIN');
    // With a second Admin, the first may step down.
    expect((await admin.client.data(ChangeTeamMemberRoleDocument, { teamId, userId: admin.id, role: 'MEMBER' })).changeTeamMemberRole.role).toBe('MEMBER');
    expect(code(await admin.client.request(UpdateTeamDocument, { id: teamId, input: { name: 'no longer mine' } }))).toBe('FORBIDDEN');
  });

  it('lets a member leave, and a removed member loses access on the next request', async () => {
    const first = await withMember();
    expect((await first.member.client.data(LeaveTeamDocument, { teamId: first.teamId })).leaveTeam).toBe(true);
    expect(code(await teamOf(first.member.client, first.teamId))).toBe('FORBIDDEN');

    const second = await withMember();
    expect((await second.admin.client.data(RemoveTeamMemberDocument, { teamId: second.teamId, userId: second.member.id })).removeTeamMember).toBe(true);
    expect(code(await teamOf(second.member.client, second.teamId))).toBe('FORBIDDEN');
  });

  it('refuses a Member every Admin action', async () => {
    const { admin, member, teamId } = await withMember();
    const invitation = (await admin.client.data(InviteTeamMemberDocument, { teamId, email: uniqueEmail('x') })).inviteTeamMember as { id: string };
    const domain = (await admin.client.data(AddTeamDomainDocument, { teamId, domain: `${randomBytes(4).toString('hex')}.example` })).addTeamDomain;
    const m = member.client;
    const attempts = [
      m.request(UpdateTeamDocument, { id: teamId, input: { name: 'mine now' } }),
      m.request(AddTeamMemberDocument, { teamId, email: uniqueEmail('y') }),
      m.request(InviteTeamMemberDocument, { teamId, email: uniqueEmail('z') }),
      m.request(ChangeTeamMemberRoleDocument, { teamId, userId: member.id, role: 'ADMIN' }),
      m.request(RemoveTeamMemberDocument, { teamId, userId: admin.id }),
      m.request(CancelTeamInvitationDocument, { teamId, invitationId: invitation.id }),
      m.request(AddTeamDomainDocument, { teamId, domain: 'member.example' }),
      m.request(VerifyTeamDomainDocument, { teamId, domainId: domain.id }),
      m.request(SetTeamDomainJoinPolicyDocument, { teamId, domainId: domain.id, policy: 'ASK' }),
      m.request(RemoveTeamDomainDocument, { teamId, domainId: domain.id }),
      m.request(ApproveJoinRequestDocument, { teamId, requestId: domain.id }),
      m.request(RefuseJoinRequestDocument, { teamId, requestId: domain.id }),
      m.request(DeleteTeamDocument, { id: teamId }),
      m.request(TeamAdminViewDocument, { id: teamId }),
    ];
    for (const result of await Promise.all(attempts)) expect(code(result)).toBe('FORBIDDEN');
    const view = await admin.client.data(TeamAdminViewDocument, { id: teamId });
    expect(view.team?.members.find((x) => x.user.id === member.id)?.role).toBe('MEMBER');
    expect(view.team?.invitations).toHaveLength(1);
    expect(view.team?.domains).toHaveLength(1);
  });

  it("refuses another team's invitation id", async () => {
    const a = await adminWithTeam();
    const b = await adminWithTeam();
    const invitation = (await a.client.data(InviteTeamMemberDocument, { teamId: a.teamId, email: uniqueEmail('a') })).inviteTeamMember as { id: string };
    expect(code(await b.client.request(CancelTeamInvitationDocument, { teamId: b.teamId, invitationId: invitation.id }))).toBe('NOT_FOUND');
  });
});

describe('verified domains', () => {
  const freshDomain = () => `${randomBytes(5).toString('hex')}.example.com`;

  it('verifies a domain from its TXT record, and refuses a missing or wrong record', async () => {
    const admin = await adminWithTeam();
    const domain = freshDomain();
    const added = (await admin.client.data(AddTeamDomainDocument, { teamId: admin.teamId, domain })).addTeamDomain;
    expect(added.txtRecord).toMatch(/^domain-verification=[0-9a-f]{32}$/);
    expect(added.status).toBe('PENDING');

    expect(code(await admin.client.request(VerifyTeamDomainDocument, { teamId: admin.teamId, domainId: added.id }))).toBe('DOMAIN_VERIFICATION_FAILED');
    dns.txt.set(domain, ['domain-verification=0000000000000000000000000000dead']);
    expect(code(await admin.client.request(VerifyTeamDomainDocument, { teamId: admin.teamId, domainId: added.id }))).toBe('DOMAIN_VERIFICATION_FAILED');
    dns.txt.set(domain, ['v=spf1 -all', added.txtRecord]);
    expect((await admin.client.data(VerifyTeamDomainDocument, { teamId: admin.teamId, domainId: added.id })).verifyTeamDomain.status).toBe('VERIFIED');
  });

  it('notices on re-check that the record disappeared', async () => {
    const admin = await adminWithTeam();
    const domain = freshDomain();
    const added = (await admin.client.data(AddTeamDomainDocument, { teamId: admin.teamId, domain })).addTeamDomain;
    dns.txt.set(domain, [added.txtRecord]);
    await admin.client.data(VerifyTeamDomainDocument, { teamId: admin.teamId, domainId: added.id });
    dns.txt.delete(domain);
    expect(code(await admin.client.request(VerifyTeamDomainDocument, { teamId: admin.teamId, domainId: added.id }))).toBe('DOMAIN_VERIFICATION_FAILED');
    const view = await admin.client.data(TeamAdminViewDocument, { id: admin.teamId });
    expect(view.team?.domains[0].status).toBe('PENDING');
  });

  it('verifies a domain for one team at a time', async () => {
    const a = await adminWithTeam();
    const b = await adminWithTeam();
    const domain = freshDomain();
    const claimed = (await a.client.data(AddTeamDomainDocument, { teamId: a.teamId, domain })).addTeamDomain;
    dns.txt.set(domain, [claimed.txtRecord]);
    await a.client.data(VerifyTeamDomainDocument, { teamId: a.teamId, domainId: claimed.id });
    expect(code(await b.client.request(AddTeamDomainDocument, { teamId: b.teamId, domain }))).toBe('DOMAIN_TAKEN');
  });

  it('refuses a string that is not a domain name', async () => {
    const admin = await adminWithTeam();
    expect(code(await admin.client.request(AddTeamDomainDocument, { teamId: admin.teamId, domain: 'https://nope' }))).toBe('BAD_USER_INPUT');
  });

  it('lets people who sign up and verify an address at a verified domain join as Members, or ask first when the Admins want', async () => {
    const admin = await adminWithTeam();
    const domain = freshDomain();
    const added = (await admin.client.data(AddTeamDomainDocument, { teamId: admin.teamId, domain })).addTeamDomain;
    dns.txt.set(domain, [added.txtRecord]);
    await admin.client.data(VerifyTeamDomainDocument, { teamId: admin.teamId, domainId: added.id });

    const auto = await signUpUser(anonymous, { email: `ada.${randomBytes(3).toString('hex')}@${domain}` });
    await verifyEmailOf(auto, graph.mailbox);
    await eventually(async () => {
      const me = await auto.client.data(MeDocument);
      expect(me.me?.teams.find((t) => t.team.id === admin.teamId)?.role).toBe('MEMBER');
    });

    await admin.client.data(SetTeamDomainJoinPolicyDocument, { teamId: admin.teamId, domainId: added.id, policy: 'ASK' });
    const asking = await signUpUser(anonymous, { email: `bob.${randomBytes(3).toString('hex')}@${domain}` });
    const refused = await signUpUser(anonymous, { email: `eve.${randomBytes(3).toString('hex')}@${domain}` });
    await Promise.all([asking, refused].map((u) => verifyEmailOf(u, graph.mailbox)));
    const requests = await eventually(async () => {
      const view = await admin.client.data(TeamAdminViewDocument, { id: admin.teamId });
      expect(view.team?.joinRequests).toHaveLength(2);
      return view.team!.joinRequests;
    });
    const bobRequest = requests.find((r) => r.user.id === asking.id)!;
    const eveRequest = requests.find((r) => r.user.id === refused.id)!;
    expect((await admin.client.data(ApproveJoinRequestDocument, { teamId: admin.teamId, requestId: bobRequest.id })).approveJoinRequest.role).toBe('MEMBER');
    expect((await admin.client.data(RefuseJoinRequestDocument, { teamId: admin.teamId, requestId: eveRequest.id })).refuseJoinRequest).toBe(true);
    expect((await asking.client.data(MeDocument)).me?.teams.some((t) => t.team.id === admin.teamId)).toBe(true);
    expect((await refused.client.data(MeDocument)).me?.teams.some((t) => t.team.id === admin.teamId)).toBe(false);
  });

  it('does not join anyone whose address at a verified domain is unverified', async () => {
    const admin = await adminWithTeam();
    const domain = freshDomain();
    const added = (await admin.client.data(AddTeamDomainDocument, { teamId: admin.teamId, domain })).addTeamDomain;
    dns.txt.set(domain, [added.txtRecord]);
    await admin.client.data(VerifyTeamDomainDocument, { teamId: admin.teamId, domainId: added.id });

    // Someone typing an address at the company's domain that they cannot read.
    const squatter = await signUpUser(anonymous, { email: `ceo.${randomBytes(3).toString('hex')}@${domain}` });
    const [signUp] = await identityDb().query(`SELECT event_id AS id FROM identity.outbox WHERE type = 'identity.user.signed_up' AND aggregate_id = $1`, [squatter.id]);
    await eventually(async () => {
      const rows = await graph.apps.team.infra.dataSource.query(`SELECT 1 FROM team.processed_events WHERE consumer = 'team.sign-up' AND event_id = $1`, [signUp.id]);
      expect(rows).toHaveLength(1);
    });
    expect(await identityDb().query(`SELECT 1 FROM identity.outbox WHERE type = 'identity.user.email_verified' AND aggregate_id = $1`, [squatter.id])).toEqual([]);
    expect((await squatter.client.data(MeDocument)).me?.teams.some((t) => t.team.id === admin.teamId)).toBe(false);
    expect((await admin.client.data(TeamDocument, { id: admin.teamId })).team?.members.map((m) => m.user.id)).toEqual([admin.id]);
  });
});

describe('deleting a team', () => {
  it('refuses to delete a Personal Team', async () => {
    const user = await signUpUserWithTeam(anonymous);
    expect(code(await user.client.request(DeleteTeamDocument, { id: user.personalTeamId }))).toBe('PERSONAL_TEAM');
  });

  it('asks for a fresh sign-in first', async () => {
    const admin = await adminWithTeam();
    await graph.apps.identity.infra.dataSource.query(`UPDATE identity.sessions SET created_at = now() - interval '10 minutes' WHERE user_id = $1`, [admin.id]);
    expect(code(await admin.client.request(DeleteTeamDocument, { id: admin.teamId }))).toBe('REAUTHENTICATION_REQUIRED');
    expect((await admin.client.data(TeamDocument, { id: admin.teamId })).team?.id).toBe(admin.teamId);
  });

  it('removes the team and every member’s access at once', async () => {
    const { admin, member, teamId } = await withMember();
    expect((await admin.client.data(DeleteTeamDocument, { id: teamId })).deleteTeam).toBe(true);
    for (const user of [admin, member]) {
      expect(code(await teamOf(user.client, teamId))).toBe('FORBIDDEN');
      expect((await user.client.data(MeDocument)).me?.teams.some((t) => t.team.id === teamId)).toBe(false);
    }
  });
});

describe('deleting a team with prepaid credits', () => {
  it('forfeits the credits in the ledger and leaves the balance at zero', async () => {
    const admin = await adminWithTeam();
    const card = (await admin.client.data(AddPaymentMethodDocument, { teamId: admin.teamId, processorToken: 'tok_visa' })).addPaymentMethod;
    await admin.client.data(PurchaseCreditsDocument, {
      input: { teamId: admin.teamId, amountTicks: '250000000000', paymentMethodId: card.id, idempotencyKey: `forfeit-${admin.teamId}` },
    });
    expect((await admin.client.data(TeamBalanceDocument, { id: admin.teamId })).team?.creditBalance.prepaid.ticks).toBe('250000000000');
    await admin.client.data(DeleteTeamDocument, { id: admin.teamId });
    const billing = graph.apps.billing.infra.dataSource;
    await eventually(async () => {
      const entries = await billing.query(`SELECT kind, prepaid_delta_ticks::text AS delta FROM billing.ledger_entries WHERE team_id = $1 AND kind = 'FORFEIT'`, [admin.teamId]);
      expect(entries).toEqual([{ kind: 'FORFEIT', delta: '-250000000000' }]);
    });
    const [balance] = await billing.query(`SELECT prepaid_ticks::text AS prepaid FROM billing.credit_balances WHERE team_id = $1`, [admin.teamId]);
    expect(balance.prepaid).toBe('0');
  });
});

describe('audit trail of team changes', () => {
  it('records each change with a description naming the action', async () => {
    const { admin, member, teamId } = await withMember();
    await admin.client.data(ChangeTeamMemberRoleDocument, { teamId, userId: member.id, role: 'ADMIN' });
    await admin.client.data(InviteTeamMemberDocument, { teamId, email: uniqueEmail('audited') });
    const domain = `${randomBytes(5).toString('hex')}.example.net`;
    const added = (await admin.client.data(AddTeamDomainDocument, { teamId, domain })).addTeamDomain;
    dns.txt.set(domain, [added.txtRecord]);
    await admin.client.data(VerifyTeamDomainDocument, { teamId, domainId: added.id });
    await eventually(async () => {
      const log = await admin.client.data(AuditLogDocument, { teamId, first: 50 });
      const descriptions = log.auditLog.edges.map((e) => e.node.description);
      for (const action of ['CreateTeam', 'AddTeamMember', 'ChangeTeamMemberRole', 'InviteTeamMember', 'AddDomain', 'VerifyDomain']) {
        expect(descriptions).toContain(action);
      }
    });
  });
});
