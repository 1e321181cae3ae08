import { randomBytes } from 'node:crypto';
import { signAssertion, type Principal } from '../../subgraphs/kit/auth';
import type { TeamServices } from '../../subgraphs/team/team.context';
import { AuditEventsDocument, CreditBalanceChangedDocument, SignInDocument } from '../operations/generated';
import { GraphClient, subscribe } from '../support/client';
import { eventually } from '../support/eventually';
import { PASSWORD, signUpUserWithTeam, type SignedUpUser } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';

/**
 * Every protected field and operation, for every kind of caller, through the gateway. A cell
 * is `ok` (served) or the error code the field must fail with.
 */
type Caller = 'anonymous' | 'nonMember' | 'member' | 'admin' | 'otherAdmin';
type Outcome = 'ok' | 'FORBIDDEN' | 'UNAUTHENTICATED';
const callers: Caller[] = ['anonymous', 'nonMember', 'member', 'admin', 'otherAdmin'];

let graph: TestGraph;
let anonymous: GraphClient;
let admin: SignedUpUser & { personalTeamId: string };
let member: SignedUpUser & { personalTeamId: string };
let nonMember: SignedUpUser & { personalTeamId: string };
let otherAdmin: SignedUpUser & { personalTeamId: string };
let teamId: string;

const clientOf = (caller: Caller): GraphClient =>
  caller === 'anonymous' ? anonymous : { nonMember, member, admin, otherAdmin }[caller].client;

beforeAll(async () => {
  graph = await startGraph();
  anonymous = new GraphClient(graph.url);
  [admin, member, nonMember, otherAdmin] = await Promise.all([1, 2, 3, 4].map(() => signUpUserWithTeam(anonymous)));
  teamId = admin.personalTeamId;
  await (graph.apps.team.services as TeamServices).teams.addMembership(teamId, member.id, 'MEMBER', { userId: admin.id });
  // Identity learns of the new teammate from Team's event.
  await eventually(async () => {
    const r = await member.client.request(`{ team(id: "${teamId}") { members { user { email } } } }`);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  });
});

afterAll(async () => {
  await graph?.stop();
});

interface Row {
  name: string;
  /** The operation; `$TEAM` is the team under test, `$SELF` the caller's id. */
  document: string;
  /** Where in the response the protected value is. */
  path: string[];
  expect: Record<Caller, Outcome>;
}

const onlyAdmins: Record<Caller, Outcome> = { anonymous: 'UNAUTHENTICATED', nonMember: 'FORBIDDEN', member: 'FORBIDDEN', admin: 'ok', otherAdmin: 'FORBIDDEN' };
const members: Record<Caller, Outcome> = { anonymous: 'UNAUTHENTICATED', nonMember: 'FORBIDDEN', member: 'ok', admin: 'ok', otherAdmin: 'FORBIDDEN' };
const signedIn: Record<Caller, Outcome> = { anonymous: 'UNAUTHENTICATED', nonMember: 'ok', member: 'ok', admin: 'ok', otherAdmin: 'ok' };
const everyone: Record<Caller, Outcome> = { anonymous: 'ok', nonMember: 'ok', member: 'ok', admin: 'ok', otherAdmin: 'ok' };

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
  { name: 'Mutation.revokeAllSessions', document: 'mutation { revokeAllSessions }', path: ['revokeAllSessions'], expect: signedIn },
];

describe.each(rows)('$name', (row) => {
  it.each(callers)('for %s', async (caller) => {
    const document = row.document.replace(/\$TEAM/g, teamId).replace(/\$CALLER/g, caller);
    const result = await clientOf(caller).request(document);
    const expected = row.expect[caller];
    let value: unknown = result.data;
    for (const key of row.path) value = (value as Record<string, unknown> | null | undefined)?.[key];
    if (expected === 'ok') {
      expect(result.errors).toBeUndefined();
      // `me` is null for anonymous callers: that is its answer, not a denial.
      if (!(row.path[0] === 'me' && caller === 'anonymous')) expect(value).not.toBeNull();
    } else {
      expect(value ?? null).toBeNull();
      expect(result.errors?.map((e) => e.extensions?.code)).toContain(expected);
    }
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
    ['audit', { __typename: 'Team', id: '$TEAM' }, '... on Team { auditLog { edges { node { id } } } }'],
    ['team', { __typename: 'Team', id: '$TEAM' }, '... on Team { name members { role } }'],
    ['team', { __typename: 'User', id: '$ADMIN' }, '... on User { teams { role } }'],
    ['identity', { __typename: 'User', id: '$ADMIN' }, '... on User { email }'],
    ['identity', { __typename: 'User', id: '$ADMIN' }, '... on User { sessions { id } }'],
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
