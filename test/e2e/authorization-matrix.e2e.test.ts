import { randomBytes } from 'node:crypto';
import { parse, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { signAssertion, type Principal } from '../../subgraphs/kit/auth';
import type { TeamServices } from '../../subgraphs/team/team.context';
import { AddPaymentMethodDocument, AuditEventsDocument, CreditBalanceChangedDocument, PurchaseCreditsDocument, SetBillingInformationDocument, SignInDocument } from '../operations/generated';
import { GraphClient, subscribe } from '../support/client';
import { eventually } from '../support/eventually';
import { createBilledApiKey, PASSWORD, signUpUser, signUpUserWithTeam, type SignedUpUser } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';

/**
 * Every protected field and operation, for every kind of caller, through the gateway. A cell
 * is `ok` (served) or the error code the field must fail with.
 */
type Caller = 'anonymous' | 'nonMember' | 'member' | 'admin' | 'otherAdmin';
/** `ok`: served; `passes`: let through the guard (it may still fail on its own terms, e.g. NOT_FOUND). */
type Outcome = 'ok' | 'passes' | 'FORBIDDEN' | 'UNAUTHENTICATED';
const callers: Caller[] = ['anonymous', 'nonMember', 'member', 'admin', 'otherAdmin'];

let graph: TestGraph;
let anonymous: GraphClient;
let admin: SignedUpUser & { personalTeamId: string };
let member: SignedUpUser & { personalTeamId: string };
let nonMember: SignedUpUser & { personalTeamId: string };
let otherAdmin: SignedUpUser & { personalTeamId: string };
let teamId: string;
let paymentMethodId: string;
let pendingPurchaseId: string;
let apiKeyId: string;

const clientOf = (caller: Caller): GraphClient =>
  caller === 'anonymous' ? anonymous : { nonMember, member, admin, otherAdmin }[caller].client;

beforeAll(async () => {
  graph = await startGraph();
  anonymous = new GraphClient(graph.url);
  [admin, member, nonMember, otherAdmin] = await Promise.all([1, 2, 3, 4].map(() => signUpUserWithTeam(anonymous)));
  // A team of its own, so the Personal Team can stand in where an operation must not touch the team under test.
  const created = await admin.client.request('mutation { createTeam(input: { name: "Matrix" }) { id } }');
  teamId = (created.data as { createTeam: { id: string } }).createTeam.id;
  await (graph.apps.team.services as TeamServices).teams.addMembership(teamId, member.id, 'MEMBER', { userId: admin.id });
  // Identity learns of the new teammate from Team's event.
  await eventually(async () => {
    const r = await member.client.request(`{ team(id: "${teamId}") { members { user { email } } } }`);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  });
  paymentMethodId = (await admin.client.data(AddPaymentMethodDocument, { teamId, processorToken: 'tok_visa' })).addPaymentMethod.id;
  await admin.client.data(SetBillingInformationDocument, { teamId, input: { legalName: 'Matrix Inc', address: '1 Main St', country: 'US' } });
  const threeDS = (await admin.client.data(AddPaymentMethodDocument, { teamId, processorToken: 'tok_threeDSecureRequired' })).addPaymentMethod.id;
  const pending = await admin.client.data(PurchaseCreditsDocument, { input: { teamId, amountTicks: '10000000000', paymentMethodId: threeDS, idempotencyKey: 'matrix-3ds' } });
  pendingPurchaseId = pending.purchaseCredits.id;
  apiKeyId = await createBilledApiKey(graph, admin, teamId, 'matrix');
});

afterAll(async () => {
  await graph?.stop();
});

interface Row {
  name: string;
  /**
   * The operation; `$TEAM` is the team under test, `$CALLER` the kind of caller, `$PM` a card of the team, `$PENDING` a purchase awaiting
   * 3-D Secure, `$KEY` an API key of the team (an Admin's) that Billing knows.
   */
  document: string;
  /** Where in the response the protected value is. */
  path: string[];
  expect: Record<Caller, Outcome>;
}

const nobodyHere: Record<Caller, Outcome> = { anonymous: 'UNAUTHENTICATED', nonMember: 'FORBIDDEN', member: 'FORBIDDEN', admin: 'FORBIDDEN', otherAdmin: 'FORBIDDEN' };
const onlyAdmins: Record<Caller, Outcome> = { anonymous: 'UNAUTHENTICATED', nonMember: 'FORBIDDEN', member: 'FORBIDDEN', admin: 'ok', otherAdmin: 'FORBIDDEN' };
const members: Record<Caller, Outcome> = { anonymous: 'UNAUTHENTICATED', nonMember: 'FORBIDDEN', member: 'ok', admin: 'ok', otherAdmin: 'FORBIDDEN' };
const signedIn: Record<Caller, Outcome> = { anonymous: 'UNAUTHENTICATED', nonMember: 'ok', member: 'ok', admin: 'ok', otherAdmin: 'ok' };
const adminPasses: Record<Caller, Outcome> = { ...onlyAdmins, admin: 'passes' };
const everyone: Record<Caller, Outcome> = { anonymous: 'ok', nonMember: 'ok', member: 'ok', admin: 'ok', otherAdmin: 'ok' };
/** Signed-in operations that may still refuse on their own terms (e.g. REAUTHENTICATION_REQUIRED, INVALID_MFA_CODE). */
const signedInPasses: Record<Caller, Outcome> = { anonymous: 'UNAUTHENTICATED', nonMember: 'passes', member: 'passes', admin: 'passes', otherAdmin: 'passes' };
const anyonePasses: Record<Caller, Outcome> = { anonymous: 'passes', nonMember: 'passes', member: 'passes', admin: 'passes', otherAdmin: 'passes' };

const rows: Row[] = [
  { name: 'Query.me', document: '{ me { id } }', path: ['me'], expect: everyone },
  { name: 'Query.team / Team.name, description, isPersonal', document: '{ team(id: "$TEAM") { id name description isPersonal } }', path: ['team'], expect: members },
  { name: 'Team.members and teammates’ User.email', document: '{ team(id: "$TEAM") { members { role user { id email } } } }', path: ['team', 'members'], expect: members },
  { name: 'Team.creditBalance', document: '{ team(id: "$TEAM") { creditBalance { available { ticks } } } }', path: ['team', 'creditBalance'], expect: members },
  {
    name: 'Team.auditLog',
    document: '{ team(id: "$TEAM") { auditLog(first: 1) { edges { node { id } } } } }',
    path: ['team', 'auditLog'],
    expect: onlyAdmins,
  },
  { name: 'Query.auditLog', document: '{ auditLog(teamId: "$TEAM", first: 1) { edges { node { id } } } }', path: ['auditLog'], expect: onlyAdmins },
  { name: 'Query.verifyAuditLog', document: '{ verifyAuditLog(teamId: "$TEAM") { ok } }', path: ['verifyAuditLog'], expect: onlyAdmins },
  { name: 'Mutation.updateTeam', document: 'mutation { updateTeam(id: "$TEAM", input: { description: "renamed by $CALLER" }) { id } }', path: ['updateTeam'], expect: onlyAdmins },
  { name: 'Mutation.createTeam', document: 'mutation { createTeam(input: { name: "Side project" }) { id name } }', path: ['createTeam'], expect: signedIn },
  { name: 'User.sessions (own)', document: '{ me { sessions { id } } }', path: ['me', 'sessions'], expect: { ...signedIn, anonymous: 'ok' } },
  { name: 'User.teams (own)', document: '{ me { teams { role } } }', path: ['me', 'teams'], expect: { ...signedIn, anonymous: 'ok' } },
  { name: 'User.mfa (own)', document: '{ me { mfa { enabled recoveryCodesRemaining } } }', path: ['me', 'mfa'], expect: { ...signedIn, anonymous: 'ok' } },
  { name: 'Mutation.startMfaEnrollment', document: 'mutation { startMfaEnrollment { otpauthUri } }', path: ['startMfaEnrollment'], expect: signedInPasses },
  { name: 'Mutation.confirmMfaEnrollment', document: 'mutation { confirmMfaEnrollment(totp: "000000") { codes } }', path: ['confirmMfaEnrollment'], expect: signedInPasses },
  { name: 'Mutation.regenerateRecoveryCodes', document: 'mutation { regenerateRecoveryCodes { codes } }', path: ['regenerateRecoveryCodes'], expect: signedInPasses },
  { name: 'Mutation.disableMfa', document: 'mutation { disableMfa(totp: "000000") }', path: ['disableMfa'], expect: signedInPasses },
  {
    name: 'Mutation.completeMfaChallenge',
    document: 'mutation { completeMfaChallenge(challengeId: "$NOBODY", totp: "000000") { __typename } }',
    path: ['completeMfaChallenge'],
    expect: anyonePasses,
  },
  {
    name: 'Mutation.restoreAccount',
    document: 'mutation { restoreAccount(input: { email: "nobody.$CALLER@example.com", password: "not a password" }) { __typename } }',
    path: ['restoreAccount'],
    expect: anyonePasses,
  },
  { name: 'User.signInMethods (own)', document: '{ me { signInMethods { kind } } }', path: ['me', 'signInMethods'], expect: { ...signedIn, anonymous: 'ok' } },
  { name: 'User.xSubscription (own)', document: '{ me { xSubscription } }', path: ['me'], expect: { ...signedIn, anonymous: 'ok' } },
  { name: 'User.emailVerified (own)', document: '{ me { emailVerified } }', path: ['me'], expect: { ...signedIn, anonymous: 'ok' } },
  {
    name: 'Mutation.restoreAccount (restore token)',
    document: 'mutation { restoreAccount(withToken: { restoreToken: "no-such-token-$CALLER" }) { __typename } }',
    path: ['restoreAccount'],
    expect: anyonePasses,
  },
  { name: 'Mutation.requestPasswordReset', document: 'mutation { requestPasswordReset(email: "reset.$CALLER@example.com") }', path: ['requestPasswordReset'], expect: everyone },
  { name: 'Mutation.resetPassword', document: 'mutation { resetPassword(token: "no-such-token-$CALLER", newPassword: "long enough password") }', path: ['resetPassword'], expect: anyonePasses },
  { name: 'Mutation.requestEmailVerification', document: 'mutation { requestEmailVerification }', path: ['requestEmailVerification'], expect: signedInPasses },
  { name: 'Mutation.verifyEmail', document: 'mutation { verifyEmail(code: "000000") { id } }', path: ['verifyEmail'], expect: signedInPasses },
  { name: 'Mutation.removeSignInMethod', document: 'mutation { removeSignInMethod(kind: X) { kind } }', path: ['removeSignInMethod'], expect: signedInPasses },
  { name: 'Mutation.addPasswordSignInMethod', document: 'mutation { addPasswordSignInMethod(password: "x") { kind } }', path: ['addPasswordSignInMethod'], expect: signedInPasses },
  { name: 'Mutation.requestEmailChange', document: 'mutation { requestEmailChange(newEmail: "moved.$CALLER@example.com") }', path: ['requestEmailChange'], expect: signedInPasses },
  { name: 'Mutation.confirmEmailChange', document: 'mutation { confirmEmailChange(code: "000000") { id } }', path: ['confirmEmailChange'], expect: signedInPasses },
  { name: 'Mutation.revokeAllSessions', document: 'mutation { revokeAllSessions }', path: ['revokeAllSessions'], expect: signedIn },
  { name: 'Team.invitations', document: '{ team(id: "$TEAM") { invitations { id } } }', path: ['team', 'invitations'], expect: onlyAdmins },
  { name: 'Team.domains', document: '{ team(id: "$TEAM") { domains { id } } }', path: ['team', 'domains'], expect: onlyAdmins },
  { name: 'Team.joinRequests', document: '{ team(id: "$TEAM") { joinRequests { id } } }', path: ['team', 'joinRequests'], expect: onlyAdmins },
  { name: 'Mutation.addTeamMember', document: 'mutation { addTeamMember(teamId: "$TEAM", email: "nobody.$CALLER@example.com") { role } }', path: ['addTeamMember'], expect: adminPasses },
  { name: 'Mutation.inviteTeamMember', document: 'mutation { inviteTeamMember(teamId: "$TEAM", email: "invited.$CALLER@example.com") { __typename } }', path: ['inviteTeamMember'], expect: onlyAdmins },
  { name: 'Mutation.changeTeamMemberRole', document: 'mutation { changeTeamMemberRole(teamId: "$TEAM", userId: "$NOBODY", role: ADMIN) { role } }', path: ['changeTeamMemberRole'], expect: adminPasses },
  { name: 'Mutation.removeTeamMember (someone else)', document: 'mutation { removeTeamMember(teamId: "$TEAM", userId: "$NOBODY") }', path: ['removeTeamMember'], expect: adminPasses },
  { name: 'Mutation.leaveTeam', document: 'mutation { leaveTeam(teamId: "$PERSONAL") }', path: ['leaveTeam'], expect: adminPasses },
  { name: 'Mutation.cancelTeamInvitation', document: 'mutation { cancelTeamInvitation(teamId: "$TEAM", invitationId: "$NOBODY") }', path: ['cancelTeamInvitation'], expect: adminPasses },
  { name: 'Mutation.addTeamDomain', document: 'mutation { addTeamDomain(teamId: "$TEAM", domain: "$CALLER.matrix.example") { id } }', path: ['addTeamDomain'], expect: onlyAdmins },
  { name: 'Mutation.verifyTeamDomain', document: 'mutation { verifyTeamDomain(teamId: "$TEAM", domainId: "$NOBODY") { id } }', path: ['verifyTeamDomain'], expect: adminPasses },
  { name: 'Mutation.setTeamDomainJoinPolicy', document: 'mutation { setTeamDomainJoinPolicy(teamId: "$TEAM", domainId: "$NOBODY", policy: ASK) { id } }', path: ['setTeamDomainJoinPolicy'], expect: adminPasses },
  { name: 'Mutation.removeTeamDomain', document: 'mutation { removeTeamDomain(teamId: "$TEAM", domainId: "$NOBODY") }', path: ['removeTeamDomain'], expect: adminPasses },
  { name: 'Mutation.approveJoinRequest', document: 'mutation { approveJoinRequest(teamId: "$TEAM", requestId: "$NOBODY") { role } }', path: ['approveJoinRequest'], expect: adminPasses },
  { name: 'Mutation.refuseJoinRequest', document: 'mutation { refuseJoinRequest(teamId: "$TEAM", requestId: "$NOBODY") }', path: ['refuseJoinRequest'], expect: adminPasses },
  { name: 'Team.apiKeys', document: '{ team(id: "$TEAM") { apiKeys { id } } }', path: ['team', 'apiKeys'], expect: members },
  { name: 'Mutation.createApiKey', document: 'mutation { createApiKey(teamId: "$TEAM", input: { name: "$CALLER" }) { apiKey { id } } }', path: ['createApiKey'], expect: members },
  { name: 'Mutation.disableApiKey (unknown key)', document: 'mutation { disableApiKey(id: "$NOBODY") { id } }', path: ['disableApiKey'], expect: { ...onlyAdmins, admin: 'FORBIDDEN' } },
  { name: 'Team.managementKeys', document: '{ team(id: "$TEAM") { managementKeys { id } } }', path: ['team', 'managementKeys'], expect: onlyAdmins },
  { name: 'Mutation.createManagementKey', document: 'mutation { createManagementKey(teamId: "$TEAM", name: "$CALLER", scopes: ["audit:read"]) { secret } }', path: ['createManagementKey'], expect: onlyAdmins },
  { name: 'Mutation.revokeManagementKey', document: 'mutation { revokeManagementKey(teamId: "$TEAM", id: "$NOBODY") }', path: ['revokeManagementKey'], expect: adminPasses },
  { name: 'Mutation.deleteTeam (a Personal Team)', document: 'mutation { deleteTeam(id: "$PERSONAL") }', path: ['deleteTeam'], expect: adminPasses },
  { name: 'Team.paymentMethods', document: '{ team(id: "$TEAM") { paymentMethods { id last4 } } }', path: ['team', 'paymentMethods'], expect: onlyAdmins },
  { name: 'Mutation.addPaymentMethod', document: 'mutation { addPaymentMethod(teamId: "$TEAM", processorToken: "tok_mastercard") { id } }', path: ['addPaymentMethod'], expect: onlyAdmins },
  {
    name: 'Mutation.purchaseCredits',
    document: 'mutation { purchaseCredits(input: { teamId: "$TEAM", amountTicks: "10000000000", paymentMethodId: "$PM", idempotencyKey: "matrix-$CALLER" }) { id } }',
    path: ['purchaseCredits'],
    expect: onlyAdmins,
  },
  { name: 'Mutation.confirmCreditPurchase', document: 'mutation { confirmCreditPurchase(teamId: "$TEAM", id: "$PENDING") { status } }', path: ['confirmCreditPurchase'], expect: onlyAdmins },
  { name: 'Mutation.setInvoicedSpendingLimit', document: 'mutation { setInvoicedSpendingLimit(teamId: "$TEAM", limitTicks: "0") { teamId } }', path: ['setInvoicedSpendingLimit'], expect: onlyAdmins },
  { name: 'Team.billingInformation', document: '{ team(id: "$TEAM") { billingInformation { legalName country } } }', path: ['team', 'billingInformation'], expect: onlyAdmins },
  {
    name: 'Mutation.setBillingInformation',
    document: 'mutation { setBillingInformation(teamId: "$TEAM", input: { legalName: "$CALLER Ltd", address: "1 Main St", country: "US" }) { country } }',
    path: ['setBillingInformation'],
    expect: onlyAdmins,
  },
  { name: 'Mutation.refundCredits', document: 'mutation { refundCredits(teamId: "$TEAM", purchaseId: "$NOBODY", amountTicks: "100000000") { teamId } }', path: ['refundCredits'], expect: adminPasses },
  {
    name: 'Team.usage',
    document: '{ team(id: "$TEAM") { usage(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", bucket: HOUR, groupBy: MODEL) { key } } }',
    path: ['team', 'usage'],
    expect: members,
  },
  { name: 'Query.tokenizeText', document: '{ tokenizeText(model: "grok-4", text: "hello $CALLER") { tokenCount } }', path: ['tokenizeText'], expect: signedIn },
  { name: 'Team.invoices', document: '{ team(id: "$TEAM") { invoices { id total { ticks } lines { description } } } }', path: ['team', 'invoices'], expect: onlyAdmins },
  { name: 'Team.invoicePreview', document: '{ team(id: "$TEAM") { invoicePreview { status total { ticks } } } }', path: ['team', 'invoicePreview'], expect: onlyAdmins },
  { name: 'Team.creditAlerts', document: '{ team(id: "$TEAM") { creditAlerts { thresholdsPercent firedPercent } } }', path: ['team', 'creditAlerts'], expect: members },
  { name: 'Mutation.setCreditAlertThresholds', document: 'mutation { setCreditAlertThresholds(teamId: "$TEAM", thresholdsPercent: [50, 20, 5]) { thresholdsPercent } }', path: ['setCreditAlertThresholds'], expect: onlyAdmins },
  {
    name: 'Mutation.setApiKeyMonthlySpendCap / ApiKey.monthlySpendCap, spendThisMonth',
    document: 'mutation { setApiKeyMonthlySpendCap(apiKeyId: "$KEY", capTicks: null) { id monthlySpendCap { ticks } spendThisMonth { ticks } } }',
    path: ['setApiKeyMonthlySpendCap'],
    expect: onlyAdmins,
  },
  {
    name: 'ApiKey.monthlySpendCap, spendThisMonth (through Team.apiKeys)',
    document: '{ team(id: "$TEAM") { apiKeys { id monthlySpendCap { ticks } spendThisMonth { ticks } } } }',
    path: ['team', 'apiKeys'],
    expect: members,
  },
  {
    name: 'Mutation.recordUsage (usage reporters only)',
    document: 'mutation { recordUsage(events: [{ requestId: "matrix-$CALLER", teamId: "$TEAM", apiKeyId: "k", model: "grok-4", promptTokens: 1, completionTokens: 1 }]) { accepted } }',
    path: ['recordUsage'],
    expect: nobodyHere,
  },
];

describe.each(rows)('$name', (row) => {
  it.each(callers)('for %s', async (caller) => {
    const document = row.document
      .replace(/\$TEAM/g, teamId)
      .replace(/\$PERSONAL/g, admin.personalTeamId)
      .replace(/\$NOBODY/g, '00000000-0000-4000-8000-000000000000')
      .replace(/\$PM/g, paymentMethodId)
      .replace(/\$PENDING/g, pendingPurchaseId)
      .replace(/\$KEY/g, apiKeyId)
      .replace(/\$CALLER/g, caller.toLowerCase());
    const result = await clientOf(caller).request(document);
    const expected = row.expect[caller];
    let value: unknown = result.data;
    for (const key of row.path) value = (value as Record<string, unknown> | null | undefined)?.[key];
    if (expected === 'passes') {
      const codes = (result.errors ?? []).map((e) => e.extensions?.code);
      expect(codes).not.toContain('FORBIDDEN');
      expect(codes).not.toContain('UNAUTHENTICATED');
    } else if (expected === 'ok') {
      expect(result.errors).toBeUndefined();
      // `me` is null for anonymous callers: that is its answer, not a denial.
      if (!(row.path[0] === 'me' && caller === 'anonymous')) expect(value).not.toBeNull();
    } else {
      expect(value ?? null).toBeNull();
      expect(result.errors?.map((e) => e.extensions?.code)).toContain(expected);
    }
  });
});

/** What a signed-in user whose account has no verified email yet (an X sign-up) may still call. */
const beforeEmailVerification = new Set(['me', 'requestEmailChange', 'confirmEmailChange', 'requestEmailVerification', 'verifyEmail', 'signOut', 'deleteAccount']);

describe('a user without a verified email', () => {
  let gated: GraphClient;

  beforeAll(async () => {
    const user = await signUpUser(anonymous);
    // As an X sign-up is until it adds an address: no email at all.
    await graph.apps.identity.infra.dataSource.query(`UPDATE identity.users SET email = '', email_verified_at = NULL WHERE id = $1`, [user.id]);
    gated = user.client;
  });

  it.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const operation = parse(row.document).definitions[0] as OperationDefinitionNode;
    const rootField = (operation.selectionSet.selections[0] as FieldNode).name.value;
    const document = row.document
      .replace(/\$TEAM/g, teamId)
      .replace(/\$PERSONAL/g, admin.personalTeamId)
      .replace(/\$NOBODY/g, '00000000-0000-4000-8000-000000000000')
      .replace(/\$PM/g, paymentMethodId)
      .replace(/\$PENDING/g, pendingPurchaseId)
      .replace(/\$CALLER/g, 'gated');
    const codes = ((await gated.request(document)).errors ?? []).map((e) => e.extensions?.code);
    if (beforeEmailVerification.has(rootField)) expect(codes).not.toContain('EMAIL_VERIFICATION_REQUIRED');
    else expect(codes).toContain('EMAIL_VERIFICATION_REQUIRED');
  });
});

describe('Mutation.signOut', () => {
  it.each(callers)('for %s', async (caller) => {
    let client = anonymous;
    if (caller !== 'anonymous') {
      const user = { nonMember, member, admin, otherAdmin }[caller];
      const signedIn = await anonymous.data(SignInDocument, { input: { email: user.email, password: PASSWORD } });
      client = anonymous.as((signedIn.signIn as { token: string }).token);
    }
    const result = await client.request('mutation { signOut }');
    if (caller === 'anonymous') expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    else expect(result.data).toEqual({ signOut: true });
  });
});

describe('Mutation.deleteAccount', () => {
  // Deleting is for oneself only; each signed-in caller deletes a fresh account of their own, not the matrix's.
  it.each(callers)('for %s', async (caller) => {
    const client = caller === 'anonymous' ? anonymous : (await signUpUser(anonymous)).client;
    const result = await client.request('mutation { deleteAccount { restoreBefore } }');
    if (caller === 'anonymous') expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    else expect((result.data as { deleteAccount: { restoreBefore: string } }).deleteAccount.restoreBefore).toBeTruthy();
  });
});

describe('Subscription.creditBalanceChanged', () => {
  it.each(callers)('for %s', async (caller) => {
    const ws = clientOf(caller).ws();
    try {
      const sub = subscribe(ws, CreditBalanceChangedDocument, { teamId });
      const expected = members[caller];
      if (expected === 'ok') {
        await expect(sub.next(700)).rejects.toThrow(/no subscription value/); // subscribed, waiting for a change
      } else {
        const result = await sub.next();
        expect(result.errors?.[0].extensions?.code).toBe(expected);
      }
    } finally {
      await ws.dispose();
    }
  });
});

describe('Subscription.auditEvents', () => {
  it.each(callers)('for %s', async (caller) => {
    const ws = clientOf(caller).ws();
    try {
      const sub = subscribe(ws, AuditEventsDocument, { teamId, after: null });
      const expected = onlyAdmins[caller];
      if (expected === 'ok') {
        await expect(sub.next(700)).rejects.toThrow(/no subscription value/); // subscribed, waiting for a new event
      } else {
        const result = await sub.next();
        expect(result.errors?.[0].extensions?.code).toBe(expected);
      }
    } finally {
      await ws.dispose();
    }
  });
});

describe('GET /export/audit (the audit log as NDJSON)', () => {
  const status: Record<Outcome, number> = { ok: 200, passes: 200, FORBIDDEN: 403, UNAUTHENTICATED: 401 };
  it.each(callers)('for %s', async (caller) => {
    const token = caller === 'anonymous' ? undefined : { nonMember, member, admin, otherAdmin }[caller].token;
    const response = await fetch(`${graph.url.replace('/graphql', '/export/audit')}?teamId=${teamId}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const body = await response.text();
    expect(response.status).toBe(status[onlyAdmins[caller]]);
    if (response.status === 200) expect(JSON.parse(body.split('\n')[0]).teamId).toBe(teamId);
    else expect(body).not.toContain(teamId);
  });
});

describe('another team’s id where one’s own belongs', () => {
  const sign = (principal: Principal) => signAssertion({ principal, requestId: 'matrix' }, graph.secret);
  const asNonMember = (): Principal => ({
    kind: 'user',
    userId: nonMember.id,
    sessionId: 'x',
    memberships: [{ teamId: nonMember.personalTeamId, role: 'ADMIN' }],
  });
  const entities = async (subgraph: keyof TestGraph['apps'], representations: object[], selection: string) => {
    const response = await fetch(graph.apps[subgraph].url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-console-assertion': sign(asNonMember()) },
      body: JSON.stringify({ query: `query ($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`, variables: { r: representations } }),
    });
    return response.json();
  };

  it.each([
    ['billing', { __typename: 'Team', id: '$TEAM' }, '... on Team { creditBalance { prepaid { ticks } } }'],
    ['billing', { __typename: 'Team', id: '$TEAM' }, '... on Team { paymentMethods { id last4 } }'],
    ['billing', { __typename: 'Team', id: '$TEAM' }, '... on Team { billingInformation { legalName } }'],
    ['billing', { __typename: 'Team', id: '$TEAM' }, '... on Team { invoices { id } invoicePreview { id } }'],
    ['audit', { __typename: 'Team', id: '$TEAM' }, '... on Team { auditLog { edges { node { id } } } }'],
    ['team', { __typename: 'Team', id: '$TEAM' }, '... on Team { name members { role } }'],
    ['team', { __typename: 'User', id: '$ADMIN' }, '... on User { teams { role } }'],
    ['identity', { __typename: 'User', id: '$ADMIN' }, '... on User { email }'],
    ['identity', { __typename: 'User', id: '$ADMIN' }, '... on User { sessions { id } }'],
    ['identity', { __typename: 'User', id: '$ADMIN' }, '... on User { mfa { enabled } }'],
  ])('is refused by %s for %j', async (subgraph, representation, selection) => {
    const rep = JSON.parse(JSON.stringify(representation).replace('$TEAM', teamId).replace('$ADMIN', admin.id));
    const body = await entities(subgraph as keyof TestGraph['apps'], [rep], selection);
    const entity = body.data?._entities?.[0];
    const leaked = entity && Object.keys(entity).some((k) => entity[k] !== null && k !== '__typename');
    expect(leaked).toBeFalsy();
    expect(body.errors?.map((e: { extensions?: { code?: string } }) => e.extensions?.code) ?? ['FORBIDDEN']).toContain('FORBIDDEN');
  });

  it('keeps the rest of the response when one field is denied', async () => {
    const result = await member.client.request(`{ team(id: "${teamId}") { id name auditLog { edges { node { id } } } } }`);
    expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(result.errors?.[0].path).toEqual(['team', 'auditLog']);
  });

  it('refuses a direct call to every subgraph with a forged principal', async () => {
    const forged = signAssertion({ principal: { kind: 'user', userId: admin.id, sessionId: 'x', memberships: [{ teamId, role: 'ADMIN' }] }, requestId: 'forged' }, randomBytes(32).toString('hex'));
    for (const app of Object.values(graph.apps)) {
      const response = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-console-assertion': forged },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(401);
    }
  });
});
