import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { signAssertion } from '../auth';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import { eventually } from '../../../test/support/eventually';
import type { TeamServices } from '../../team/team.context';
import { teamSubgraph } from '../../team/team.subgraph';

let team: StartedSubgraph<TeamServices>;

beforeAll(async () => {
  team = await startSubgraph(teamSubgraph, { app: { consumers: false } });
});

afterAll(async () => {
  await team?.stop();
});

describe('graceful shutdown', () => {
  it('finishes a request in flight, refuses new ones, then closes', async () => {
    const userId = randomUUID();
    const created = await team.app.infra.dataSource.transaction((tx) => team.app.services.teams.createPersonalTeam(tx, userId, null));
    const assertion = signAssertion(
      { principal: { kind: 'user', userId, sessionId: 's', memberships: [{ teamId: created.id, role: 'ADMIN' }] }, requestId: 'shutdown-test' },
      team.secret,
    );
    const send = (name: string) =>
      fetch(team.app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-console-assertion': assertion },
        body: JSON.stringify({ query: 'mutation ($id: ID!, $name: String!) { updateTeam(id: $id, input: { name: $name }) { name } }', variables: { id: created.id, name } }),
      });

    // Hold the team row so the rename is stuck in flight.
    const blocker = new Client({ connectionString: team.db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM team.teams WHERE id = $1 FOR UPDATE', [created.id]);
    const inFlight = send('renamed while stopping');
    await eventually(async () => {
      const { rowCount } = await blocker.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'console-graph:team' AND wait_event_type = 'Lock'`);
      if (!rowCount) throw new Error('request not in flight yet');
    });

    const stopped = team.app.stop();
    await eventually(async () => {
      const ready = await fetch(team.app.url.replace('/graphql', '/readyz')).catch(() => undefined);
      if (ready && ready.status !== 503) throw new Error('still ready');
    });
    const late = await send('too late').then((r) => r.status, () => 'refused');
    expect([503, 'refused']).toContain(late);

    await blocker.query('COMMIT');
    await blocker.end();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect((await response.json()).data.updateTeam.name).toBe('renamed while stopping');
    await stopped;
    expect(team.app.infra.dataSource.isInitialized).toBe(false);
  });
});
