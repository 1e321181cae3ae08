import { randomUUID } from 'node:crypto';
import { ASSERTION_HEADER, signAssertion, type TeamMembershipClaim } from '../../kit/auth';
import { createEvent, EventType, type DomainEvent } from '../../kit/events';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import { PersonalTeamConsumer } from '../personal-team/personal-team.consumer';
import type { TeamServices } from '../team.context';
import { teamSubgraph } from '../team.subgraph';

let team: StartedSubgraph<TeamServices>;

beforeAll(async () => {
  team = await startSubgraph(teamSubgraph, { app: { consumers: false, relay: false } });
});

afterAll(async () => {
  await team?.stop();
});

/** `User.teams` as the gateway asks for it, with the principal the gateway resolved for the caller. */
async function teamsAs(userId: string, memberships: TeamMembershipClaim[]) {
  const assertion = signAssertion({ principal: { kind: 'user', userId, sessionId: randomUUID(), memberships }, requestId: randomUUID() }, team.secret);
  const response = await fetch(team.app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [ASSERTION_HEADER]: assertion },
    body: JSON.stringify({
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { teams { role team { id name } } } } }',
      variables: { r: [{ __typename: 'User', id: userId }] },
    }),
  });
  return (await response.json()) as { data?: { _entities: { teams: { role: string; team: { id: string; name: string } }[] }[] }; errors?: unknown[] };
}

describe('User.teams', () => {
  it('lists only the teams the caller’s principal holds, so a membership committed after it was resolved shows on the next request, not as an error', async () => {
    const userId = randomUUID();
    const signedUp = createEvent('identity', { type: EventType.UserSignedUp, aggregateId: userId, teamId: null, actor: { userId }, payload: { userId, email: `${userId}@example.com` } });
    await team.app.consumerRunner.applyOnce(new PersonalTeamConsumer(team.app.services.teams), signedUp as DomainEvent);
    const [{ team_id: personalTeamId }]: { team_id: string }[] = await team.app.infra.dataSource.query('SELECT team_id FROM team.memberships WHERE user_id = $1', [userId]);

    // Resolved a moment before the Personal Team existed.
    const stale = await teamsAs(userId, []);
    expect(stale.errors).toBeUndefined();
    expect(stale.data?._entities[0].teams).toEqual([]);

    const fresh = await teamsAs(userId, [{ teamId: personalTeamId, role: 'ADMIN' }]);
    expect(fresh.errors).toBeUndefined();
    expect(fresh.data?._entities[0].teams).toEqual([{ role: 'ADMIN', team: { id: personalTeamId, name: 'Personal Team' } }]);
  });
});
