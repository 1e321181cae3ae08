import { join } from 'node:path';
import { subgraphNames } from '../../subgraphs/kit/config';
import { TeamApiKeysDocument, UpdateTeamDocument } from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { signUpUserWithTeam } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';
import { GatewayProcess } from '../support/processes';

/**
 * The gateway answers an operation only once its record is on the event bus, so killing the
 * gateway with SIGKILL (no shutdown hook, no last flush) right after the answers arrived loses
 * none of them, and Audit records each exactly once.
 */
let graph: TestGraph;
let gateway: GatewayProcess;

beforeAll(async () => {
  // The subgraphs in this process; the gateway that records operations in its own, to kill it.
  graph = await startGraph();
  gateway = new GatewayProcess({
    INTERNAL_AUTH_SECRET: graph.secret,
    DATABASE_URL: graph.db.url,
    EVENT_BUS: 'postgres',
    SUPERGRAPH_PATH: join(__dirname, '..', '..', 'schema', 'supergraph.graphql'),
    ...Object.fromEntries(subgraphNames.map((n) => [`${n.toUpperCase()}_URL`, graph.apps[n].url])),
  });
  await gateway.start();
});

afterAll(async () => {
  await gateway?.stop();
  await graph?.stop();
});

const recordsOf = async (requestIds: string[]): Promise<Map<string, number>> => {
  const rows: { request_id: string; n: string }[] = await graph.apps.audit.infra.dataSource.query(
    `SELECT payload->>'requestId' AS request_id, count(*) AS n FROM audit.audit_events
     WHERE event_type = 'gateway.operation' AND payload->>'requestId' = ANY($1) GROUP BY 1`,
    [requestIds],
  );
  return new Map(rows.map((r) => [r.request_id, Number(r.n)]));
};

describe('operation records across a gateway crash', () => {
  it('finds every operation answered before a SIGKILL in the audit log exactly once', async () => {
    const anonymous = new GraphClient(gateway.url);
    const user = await signUpUserWithTeam(anonymous);
    const teamId = user.personalTeamId;

    // Concurrent operations (they share bus writes), then a few more one by one.
    const run = `crash-${Date.now().toString(36)}`;
    const concurrent = Array.from({ length: 40 }, (_, i) => `${run}-c${String(i).padStart(3, '0')}`);
    const answers = await Promise.all(
      concurrent.map((id, i) =>
        i % 2 === 0
          ? user.client.request(TeamApiKeysDocument, { id: teamId }, { 'x-request-id': id })
          : user.client.request(UpdateTeamDocument, { id: teamId, input: { description: `crash ${i}` } }, { 'x-request-id': id }),
      ),
    );
    expect(answers.filter((a) => a.errors)).toEqual([]);
    const sequential: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = `${run}-s${i}`;
      expect((await user.client.request(TeamApiKeysDocument, { id: teamId }, { 'x-request-id': id })).errors).toBeUndefined();
      sequential.push(id);
    }

    // Killed the moment the last answer arrived: anything not yet on the bus would be lost.
    await gateway.kill();

    const all = [...concurrent, ...sequential];
    const recorded = await eventually(async () => {
      const found = await recordsOf(all);
      if (found.size < all.length) throw new Error(`${found.size} of ${all.length} recorded so far`);
      return found;
    });
    expect([...recorded.keys()].sort()).toEqual([...all].sort());
    expect([...recorded.values()].every((n) => n === 1)).toBe(true);

    // Still exactly once after Audit had time to see any redelivery.
    await new Promise((r) => setTimeout(r, 500));
    expect([...(await recordsOf(all)).values()].every((n) => n === 1)).toBe(true);
  });
});
