import { randomUUID } from 'node:crypto';
import { ASSERTION_HEADER, signAssertion, type TeamMembershipClaim } from '../../kit/auth';
import { EventType } from '../../kit/events';
import { Session } from '../../kit/session';
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

type Entities = { data?: { _entities: ({ id: string; apiKeys: { name: string }[] } | null)[] }; errors?: unknown[] };

/** Teams' keys as the gateway resolves a list of teams: one `_entities` call. */
async function apiKeysAs(userId: string, memberships: TeamMembershipClaim[], teamIds: string[]): Promise<Entities> {
  const assertion = signAssertion({ principal: { kind: 'user', userId, sessionId: randomUUID(), memberships }, requestId: randomUUID() }, team.secret);
  const response = await fetch(team.app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [ASSERTION_HEADER]: assertion },
    body: JSON.stringify({
      query: `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Team { id apiKeys { name } } } }`,
      variables: { r: teamIds.map((id) => ({ __typename: 'Team', id })) },
    }),
  });
  return (await response.json()) as Entities;
}

async function teamWithKeys(owner: string, name: string): Promise<{ teamId: string; ownerSession: (memberships: TeamMembershipClaim[]) => Session }> {
  const creating = new Session({ kind: 'user', userId: owner, sessionId: 's', memberships: [] });
  const { id: teamId } = await team.app.services.teams.createTeam(creating, { name }, { userId: owner });
  const ownerSession = (memberships: TeamMembershipClaim[]) => new Session({ kind: 'user', userId: owner, sessionId: 's', memberships });
  await team.app.services.apiKeys.create(ownerSession([{ teamId, role: 'ADMIN' }]), teamId, { name: `${name}: owner's key` }, { userId: owner });
  return { teamId, ownerSession };
}

describe("a list of teams' API keys", () => {
  it('loads every team’s keys in one query, each as the caller’s role allows, and audits each listing in one transaction', async () => {
    const userId = randomUUID();
    const owner = randomUUID();
    const teams = [await teamWithKeys(owner, 'Alpha'), await teamWithKeys(owner, 'Beta'), await teamWithKeys(owner, 'Gamma')];
    const memberships: TeamMembershipClaim[] = [
      { teamId: teams[0].teamId, role: 'ADMIN' },
      { teamId: teams[1].teamId, role: 'ADMIN' },
      { teamId: teams[2].teamId, role: 'MEMBER' },
    ];
    // The caller's own key in the team where they are only a Member.
    const member = new Session({ kind: 'user', userId, sessionId: 's', memberships });
    await team.app.services.apiKeys.create(member, teams[2].teamId, { name: "Gamma: member's key" }, { userId });
    const teamIds = teams.map((t) => t.teamId);

    const { result, statements } = await team.app.infra.statements.capture(() => apiKeysAs(userId, memberships, teamIds));
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((t) => [t!.id, t!.apiKeys.map((k) => k.name)])).toEqual([
      [teamIds[0], ["Alpha: owner's key"]],
      [teamIds[1], ["Beta: owner's key"]],
      [teamIds[2], ["Gamma: member's key"]],
    ]);
    expect(statements.filter((s) => /FROM "team"\."api_keys"/.test(s))).toHaveLength(1);

    const listed: { team_id: string; scope: string; tx: string }[] = await team.app.infra.dataSource.query(
      `SELECT envelope->>'teamId' AS team_id, envelope->'payload'->>'scope' AS scope, xmin::text AS tx FROM team.outbox
       WHERE type = $1 AND envelope->>'teamId' = ANY($2::text[]) ORDER BY envelope->>'teamId'`,
      [EventType.ApiKeyListed, teamIds],
    );
    expect(listed.map((l) => [l.team_id, l.scope])).toEqual(
      [
        [teamIds[0], 'team'],
        [teamIds[1], 'team'],
        [teamIds[2], 'own'],
      ].sort((a, b) => a[0].localeCompare(b[0])),
    );
    expect(new Set(listed.map((l) => l.tx)).size).toBe(1);
  });

  it('gives nothing of a team the caller is not in, beside their own team’s keys, and audits no listing of it', async () => {
    const userId = randomUUID();
    const owner = randomUUID();
    const mine = await teamWithKeys(userId, 'Mine');
    const theirs = await teamWithKeys(owner, 'Theirs');
    const memberships: TeamMembershipClaim[] = [{ teamId: mine.teamId, role: 'ADMIN' }];

    const result = await apiKeysAs(userId, memberships, [mine.teamId, theirs.teamId]);
    expect(result.data?._entities[0]).toEqual({ id: mine.teamId, apiKeys: [{ name: "Mine: owner's key" }] });
    // Someone else's team resolves to nothing at all, as if it did not exist.
    expect(result.data?._entities[1]).toBeNull();
    expect(result.errors).toBeUndefined();
    const [{ count }] = await team.app.infra.dataSource.query(`SELECT count(*)::int AS count FROM team.outbox WHERE type = $1 AND envelope->>'teamId' = $2`, [
      EventType.ApiKeyListed,
      theirs.teamId,
    ]);
    expect(count).toBe(0);
  });

  it('answers FORBIDDEN in the place of a team the session may not list, and the keys of the others', async () => {
    const userId = randomUUID();
    const mine = await teamWithKeys(userId, 'Own');
    const other = await teamWithKeys(randomUUID(), 'Other');
    const session = mine.ownerSession([{ teamId: mine.teamId, role: 'ADMIN' }]);
    const [keys, refused] = await team.app.services.apiKeys.listOfTeams(session, [mine.teamId, other.teamId], { userId });
    expect((keys as { name: string }[]).map((k) => k.name)).toEqual(["Own: owner's key"]);
    expect(refused).toMatchObject({ code: 'FORBIDDEN' });
  });
});
