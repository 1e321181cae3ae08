import { randomBytes } from 'node:crypto';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { signAssertion } from '../../subgraphs/kit/auth';
import { subgraphs } from '../../subgraphs';
import { AuditEventsDocument, AuditLogDocument, UpdateTeamDocument, type AuditLogQuery } from '../operations/generated';
import { GraphClient } from '../support/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { signUpUserWithTeam, type SignedUpUser } from '../support/factories';
import { startSubgraph, type StartedSubgraph } from '../support/graph';
import { GatewayProcess, SubgraphProcess } from '../support/processes';

/**
 * The live audit stream across real process crashes: two Audit replicas and two gateways (A in
 * front of Audit 1, B in front of Audit 2) on one database, Identity, Team and Billing beside them.
 * A subscriber streams while Team changes keep producing events; the Audit replica and the gateway
 * serving it are killed with SIGKILL mid-stream, the subscriber resumes from its last cursor
 * through the other gateway, and the killed processes come back.
 */
let db: TestDatabase;
const secret = randomBytes(32).toString('hex');
const others: StartedSubgraph<unknown>[] = [];
let audit1: SubgraphProcess;
let audit2: SubgraphProcess;
let gatewayA: GatewayProcess;
let gatewayB: GatewayProcess;
/** Stops the test's producer, also when the test failed half-way. */
let stopProducing = async () => undefined as void;

beforeAll(async () => {
  db = await createTestDatabase();
  const env = { DATABASE_URL: db.url, INTERNAL_AUTH_SECRET: secret, EVENT_BUS: 'postgres' };
  audit1 = new SubgraphProcess('audit', env);
  audit2 = new SubgraphProcess('audit', env);
  await Promise.all([
    audit1.start(),
    audit2.start(),
    (async () => {
      for (const name of ['identity', 'team', 'billing'] as const) others.push(await startSubgraph(subgraphs[name] as never, { db, secret }));
    })(),
  ]);
  const [identity, team, billing] = others.map((s) => s.app.url);
  // No DATABASE_URL: the gateways record no operations, so the log holds exactly the Team changes.
  const gatewayEnv = (audit: SubgraphProcess) => ({
    INTERNAL_AUTH_SECRET: secret,
    IDENTITY_URL: identity,
    TEAM_URL: team,
    BILLING_URL: billing,
    AUDIT_URL: audit.url,
    WS_REVALIDATE_MS: '1000',
    RATE_LIMIT_PRINCIPAL_OPS: '100000',
    RATE_LIMIT_IP_OPS: '100000',
  });
  gatewayA = new GatewayProcess(gatewayEnv(audit1));
  gatewayB = new GatewayProcess(gatewayEnv(audit2));
  await Promise.all([gatewayA.start(), gatewayB.start()]);
}, 60_000);

afterAll(async () => {
  await stopProducing();
  await Promise.all([gatewayA, gatewayB, audit1, audit2].map((p) => p?.stop()));
  for (const s of others.reverse()) await s.stop();
  await db?.drop();
});

interface StreamedEvent {
  id: string;
  cursor: string;
}

/**
 * One subscription through a gateway from `after`: calls `onEvent` for each event until the
 * stream ends (error, completion, closed socket), `onEvent` answers 'leave', or nothing arrives
 * for `idleMs`. Resolves how it ended.
 */
function streamLeg(
  gateway: GatewayProcess,
  token: string,
  teamId: string,
  after: string,
  onEvent: (e: StreamedEvent) => 'stay' | 'leave',
  idleMs = 10_000,
): Promise<'left' | 'ended' | 'idle'> {
  return new Promise((resolve) => {
    const client = createClient({ url: gateway.wsUrl, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    let done = false;
    let idle: NodeJS.Timeout;
    const finish = (how: 'left' | 'ended' | 'idle') => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      void Promise.resolve(client.dispose()).catch(() => undefined);
      resolve(how);
    };
    const watch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish('idle'), idleMs);
    };
    watch();
    client.subscribe(
      { query: print(AuditEventsDocument), variables: { teamId, after } },
      {
        next: (result) => {
          if (done) return;
          if (result.errors) return finish('ended');
          watch();
          if (onEvent((result.data as { auditEvents: StreamedEvent }).auditEvents) === 'leave') finish('left');
        },
        error: () => finish('ended'),
        complete: () => finish('ended'),
      },
    );
  });
}

/** The whole log through the gateway's search, oldest first. */
async function searchAll(client: GraphClient, teamId: string): Promise<(StreamedEvent & { description: string })[]> {
  const all: (StreamedEvent & { description: string })[] = [];
  let after: string | null = null;
  for (;;) {
    const data: AuditLogQuery = await client.data(AuditLogDocument, { teamId, first: 100, after });
    all.push(...data.auditLog.edges.map((e) => ({ id: e.node.id, cursor: e.cursor, description: e.node.description })));
    if (!data.auditLog.pageInfo.hasNextPage) return all.reverse();
    after = data.auditLog.pageInfo.endCursor;
  }
}

describe('the live audit stream across crashes of Audit replicas and gateways', () => {
  it('resumes from the last cursor through the other gateway and ends with exactly the full sequence', async () => {
    const anonymous = new GraphClient(gatewayA.url);
    const admin: SignedUpUser & { personalTeamId: string } = await signUpUserWithTeam(anonymous);
    const teamId = admin.personalTeamId;
    const start = await eventually(async () => {
      const page = await admin.client.data(AuditLogDocument, { teamId, first: 1 });
      if (page.auditLog.edges.length === 0) throw new Error('nothing recorded yet');
      return page.auditLog.edges[0].cursor;
    });

    // Team changes straight at Team (as the gateway would send them), so producing never depends
    // on the processes being killed; their events reach Audit through the outbox and the bus.
    const teamUrl = others[1].app.url;
    let producing = true;
    let produced = 0;
    const producer = (async () => {
      while (producing) {
        const assertion = signAssertion(
          { principal: { kind: 'user', userId: admin.id, sessionId: 'producer', memberships: [{ teamId, role: 'ADMIN' }] }, requestId: `produce-${produced}` },
          secret,
        );
        const response = await fetch(teamUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-console-assertion': assertion },
          body: JSON.stringify({ query: print(UpdateTeamDocument), variables: { id: teamId, input: { description: `change ${produced}` } } }),
        });
        const body = await response.json();
        if (body.errors) throw new Error(JSON.stringify(body.errors));
        produced++;
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    stopProducing = async () => {
      producing = false;
      await producer.catch(() => undefined);
    };

    const received: StreamedEvent[] = [];
    let cursor = start;
    const receive = (e: StreamedEvent) => {
      received.push(e);
      cursor = e.cursor;
    };
    /** Receives; after `n` events of this leg, runs `act` (and stays), or leaves when there is none. */
    const after = (n: number, act?: () => void) => {
      let seen = 0;
      return (e: StreamedEvent): 'stay' | 'leave' => {
        receive(e);
        if (++seen === n && act) act();
        return !act && seen >= n ? 'leave' : 'stay';
      };
    };
    const legs: string[] = [];
    /**
     * Resumes from the last cursor through one gateway, as a client does: a subscription that
     * ends before delivering anything (the Audit replica behind it is still starting) is retried.
     */
    const resume = async (gateway: GatewayProcess, onEvent: (e: StreamedEvent) => 'stay' | 'leave'): Promise<void> => {
      for (;;) {
        const before = received.length;
        const how = await streamLeg(gateway, admin.token, teamId, cursor, onEvent);
        if (how !== 'ended' || received.length > before) return void legs.push(how);
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    // 1. Through A until Audit 1, which serves A's subscription, is killed under it.
    let killed: Promise<void> | undefined;
    await resume(gatewayA, after(20, () => (killed = audit1.kill())));
    await killed;
    const audit1Back = audit1.start();
    // 2. Through B (Audit 2) until gateway B is killed under the subscriber.
    await resume(gatewayB, after(20, () => (killed = gatewayB.kill())));
    await killed;
    const gatewayBBack = gatewayB.start();
    // 3. Through A again, served by Audit 1 once it is back, while gateway B restarts.
    await resume(gatewayA, after(20));
    await Promise.all([audit1Back, gatewayBBack]);
    producing = false;
    await producer;

    // Everything produced is in the log (it arrives through the bus) before comparing with it.
    const expected = await eventually(async () => {
      const all = await searchAll(admin.client, teamId);
      const later = all.slice(all.findIndex((e) => e.cursor === start) + 1);
      const changes = later.filter((e) => e.description === 'UpdateTeam').length;
      if (changes < produced) throw new Error(`${changes} of ${produced} changes recorded`);
      return later;
    }, 15_000);
    // 4. Through the restarted gateway B until caught up with the log.
    if (received.length < expected.length) {
      await resume(gatewayB, (e) => {
        receive(e);
        return received.length >= expected.length ? 'leave' : 'stay';
      });
    }

    // The kills ended those subscriptions (none hung), and every later leg got what it waited for.
    expect(legs).toEqual(['ended', 'ended', 'left', ...(legs.length > 3 ? ['left'] : [])]);
    expect(produced).toBeGreaterThan(60);
    expect(received.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(new Set(received.map((e) => e.id)).size).toBe(received.length);
  }, 90_000);
});
