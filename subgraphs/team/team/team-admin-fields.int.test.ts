import { randomUUID } from 'node:crypto';
import { ASSERTION_HEADER, signAssertion, type TeamMembershipClaim } from '../../kit/auth';
import { Permission, Session } from '../../kit/session';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { TeamServices } from '../team.context';
import { teamSubgraph } from '../team.subgraph';

let team: StartedSubgraph<TeamServices>;

beforeAll(async () => {
  team = await startSubgraph(teamSubgraph, { app: { consumers: false, relay: false } });
});

afterAll(async () => {
  await team?.stop();
});

/** Teams as the gateway resolves a list of them (one `_entities` call), with the Admin-only fields. */
async function adminFieldsAs(userId: string, memberships: TeamMembershipClaim[], teamIds: string[]) {
  const assertion = signAssertion({ principal: { kind: 'user', userId, sessionId: randomUUID(), memberships }, requestId: randomUUID() }, team.secret);
  const response = await fetch(team.app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [ASSERTION_HEADER]: assertion },
    body: JSON.stringify({
      query: `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Team {
        id invitations { email } domains { domain } joinRequests { id } managementKeys { name } } } }`,
      variables: { r: teamIds.map((id) => ({ __typename: 'Team', id })) },
    }),
  });
  return (await response.json()) as {
    data?: { _entities: { id: string; invitations: { email: string }[]; domains: { domain: string }[]; joinRequests: unknown[]; managementKeys: { name: string }[] }[] };
    errors?: unknown[];
  };
}

describe("a list of teams' Admin-only fields", () => {
  it('loads each field for every team in one query, and gives each team its own rows', async () => {
    const userId = randomUUID();
    const actor = { userId };
    const creating = new Session({ kind: 'user', userId, sessionId: 's', memberships: [] });
    const teamIds: string[] = [];
    for (let i = 0; i < 3; i++) teamIds.push((await team.app.services.teams.createTeam(creating, { name: `Team ${i}` }, actor)).id);
    const memberships = teamIds.map((teamId) => ({ teamId, role: 'ADMIN' as const }));
    const admin = new Session({ kind: 'user', userId, sessionId: 's', memberships });
    for (const [i, teamId] of teamIds.entries()) {
      await team.app.services.members.add(admin, teamId, `invitee-${i}-${userId}@example.com`, 'MEMBER', actor, true);
      await team.app.services.domains.add(admin, teamId, `team-${i}-${userId.slice(0, 8)}.example.com`, actor);
      await team.app.services.managementKeys.create(admin, teamId, `key ${i}`, [Permission.TeamRead], actor);
    }

    const { result, statements } = await team.app.infra.statements.capture(() => adminFieldsAs(userId, memberships, teamIds));
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((t) => [t.id, t.invitations.map((x) => x.email), t.domains.map((d) => d.domain), t.joinRequests, t.managementKeys.map((k) => k.name)])).toEqual(
      teamIds.map((id, i) => [id, [`invitee-${i}-${userId}@example.com`], [`team-${i}-${userId.slice(0, 8)}.example.com`], [], [`key ${i}`]]),
    );
    for (const table of ['invitations', 'domains', 'join_requests', 'management_keys']) {
      expect(statements.filter((s) => new RegExp(`FROM "team"\\."${table}"`).test(s))).toHaveLength(1);
    }
  });
});
