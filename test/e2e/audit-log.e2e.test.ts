import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createEvent, EventType, type DomainEvent } from '../../subgraphs/kit/events';
import type { AuditServices } from '../../subgraphs/audit/audit.context';
import { AuditEventsDocument, AuditLogDocument, UpdateTeamDocument, VerifyAuditLogDocument } from '../operations/generated';
import { GraphClient, subscribe } from '../support/client';
import { eventually } from '../support/eventually';
import { signUpUserWithTeam, type SignedUpUser } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';

let graph: TestGraph;
let anonymous: GraphClient;
let admin: SignedUpUser & { personalTeamId: string };

beforeAll(async () => {
  graph = await startGraph();
  anonymous = new GraphClient(graph.url);
  admin = await signUpUserWithTeam(anonymous);
});

afterAll(async () => {
  await graph?.stop();
});

const auditServices = () => graph.apps.audit.services as AuditServices;

/** Records an event straight into the audit log, as the recorder consumer does: fast volume for stream tests. */
async function recordDirectly(teamId: string, i: number): Promise<void> {
  const event = createEvent('team', { type: EventType.TeamUpdated, aggregateId: teamId, teamId, actor: { userId: admin.id }, payload: { i } }) as DomainEvent;
  await graph.apps.audit.infra.dataSource.transaction((tx) => auditServices().audit.record(tx, event));
}

const idsInLog = async (teamId: string): Promise<string[]> =>
  (await graph.apps.audit.infra.dataSource.query('SELECT event_id FROM audit.audit_events WHERE chain_id = $1 ORDER BY position', [teamId])).map(
    (r: { event_id: string }) => r.event_id,
  );

describe('the audit log through the gateway', () => {
  it('shows an admin’s own change, searchable by description and by event id, and verifies', async () => {
    const user = await signUpUserWithTeam(anonymous);
    await user.client.data(UpdateTeamDocument, { id: user.personalTeamId, input: { description: 'audited' } });
    const found = await eventually(async () => {
      const data = await user.client.data(AuditLogDocument, { teamId: user.personalTeamId, filter: { description: 'updatet' } });
      if (data.auditLog.edges.length === 0) throw new Error('not recorded yet');
      return data.auditLog.edges;
    });
    expect(found).toHaveLength(1);
    expect(found[0].node).toMatchObject({ description: 'UpdateTeam', outcome: 'ALLOWED', actor: { userId: user.id } });
    const byId = await user.client.data(AuditLogDocument, { teamId: user.personalTeamId, filter: { eventId: found[0].node.id } });
    expect(byId.auditLog.edges.map((e) => e.node.id)).toEqual([found[0].node.id]);

    const verification = await user.client.data(VerifyAuditLogDocument, { teamId: user.personalTeamId });
    expect(verification.verifyAuditLog).toMatchObject({ ok: true, firstBreak: null });
    expect(verification.verifyAuditLog.eventsChecked).toBeGreaterThanOrEqual(3); // team created, admin added, updated
  });

  it('refuses another team’s admin searching, verifying and streaming this team’s log', async () => {
    const other = await signUpUserWithTeam(anonymous);
    const search = await other.client.request(AuditLogDocument, { teamId: admin.personalTeamId });
    expect(search.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const verify = await other.client.request(VerifyAuditLogDocument, { teamId: admin.personalTeamId });
    expect(verify.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const ws = other.client.ws();
    try {
      const result = await subscribe(ws, AuditEventsDocument, { teamId: admin.personalTeamId, after: null }).next();
      expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(result.data?.auditEvents ?? null).toBeNull();
    } finally {
      await ws.dispose();
    }
  });
});

describe('the live audit stream', () => {
  it('replays after the cursor, then continues live', async () => {
    const user = await signUpUserWithTeam(anonymous);
    const teamId = user.personalTeamId;
    const existing = await eventually(async () => {
      const ids = await idsInLog(teamId);
      if (ids.length < 2) throw new Error('team events not recorded yet');
      return ids;
    });
    const first = await user.client.data(AuditLogDocument, { teamId, filter: { eventId: existing[0] } });
    const ws = user.client.ws();
    try {
      const sub = subscribe(ws, AuditEventsDocument, { teamId, after: first.auditLog.edges[0].cursor });
      const received: { id: string; description: string }[] = [];
      for (let i = 1; i < existing.length; i++) received.push((await sub.next()).data!.auditEvents);
      expect(received.map((e) => e.id)).toEqual(existing.slice(1));
      await user.client.data(UpdateTeamDocument, { id: teamId, input: { description: 'live' } });
      // Other events of the new team may still be arriving; the update comes live, after them.
      while (received.at(-1)!.description !== 'UpdateTeam') received.push((await sub.next(10_000)).data!.auditEvents);
      expect(received.map((e) => e.id)).toEqual((await idsInLog(teamId)).slice(1));
    } finally {
      await ws.dispose();
    }
  });

  it('ends with exactly the full sequence when the socket is cut at random points and resumed from the last cursor', async () => {
    const user = await signUpUserWithTeam(anonymous);
    const teamId = user.personalTeamId;
    const start = await eventually(async () => {
      const page = await user.client.data(AuditLogDocument, { teamId, first: 1 });
      if (page.auditLog.edges.length === 0) throw new Error('nothing recorded yet');
      return page.auditLog.edges[0].cursor;
    });
    const before = (await idsInLog(teamId)).length;

    const DIRECT = 400;
    const MUTATIONS = 8;
    let producing = true;
    const producer = (async () => {
      for (let i = 0; i < DIRECT; i++) {
        await recordDirectly(teamId, i);
        if (i % 50 === 0) await user.client.data(UpdateTeamDocument, { id: teamId, input: { description: `step ${i}` } });
        if (i % 7 === 0) await new Promise((r) => setTimeout(r, Math.random() * 10));
      }
      producing = false;
    })();

    const received: string[] = [];
    let cursor: string = start;
    let sessions = 0;
    let expectedTotal = Infinity;
    let failure: unknown;
    const deadline = Date.now() + 90_000;
    while (received.length < expectedTotal && Date.now() < deadline && !failure) {
      sessions++;
      await new Promise<void>((resolve) => {
        const sockets: WebSocket[] = [];
        class TrackedWebSocket extends WebSocket {
          constructor(address: string, protocols?: string | string[]) {
            super(address, protocols);
            sockets.push(this);
          }
        }
        const client = createClient({
          url: graph.wsUrl,
          webSocketImpl: TrackedWebSocket,
          lazy: true,
          retryAttempts: 0,
          connectionParams: { authorization: `Bearer ${user.token}` },
        });
        let closed = false;
        const cutAfter = 1 + Math.floor(Math.random() * 40);
        let seen = 0;
        const finish = (cut: boolean) => {
          if (closed) return;
          closed = true;
          clearTimeout(timer);
          if (cut) for (const s of sockets) s.terminate(); // no close handshake: as a dropped network
          // Disposing after a cut rejects with the close event: expected here.
          void Promise.resolve(client.dispose()).catch(() => undefined);
          resolve();
        };
        // Cut at a random moment too, which may land while connecting or subscribing.
        const timer = setTimeout(() => finish(true), 20 + Math.random() * 300);
        client.subscribe(
          { query: print(AuditEventsDocument), variables: { teamId, after: cursor } },
          {
            next: (result) => {
              if (closed) return; // arrived after the cut: never seen by this client
              if (result.errors) {
                failure = result.errors;
                return finish(false);
              }
              const event = (result.data as { auditEvents: { id: string; cursor: string } }).auditEvents;
              received.push(event.id);
              cursor = event.cursor;
              if (++seen >= cutAfter) finish(true);
              else if (received.length >= expectedTotal) finish(false);
            },
            error: () => finish(false),
            complete: () => finish(false),
          },
        );
      });
      if (!producing && expectedTotal === Infinity) {
        await producer;
        // The mutations' events arrive through the event bus: wait until all are in the log.
        const all = await eventually(async () => {
          const ids = await idsInLog(teamId);
          if (ids.length < before + DIRECT + MUTATIONS) throw new Error(`only ${ids.length} recorded`);
          return ids;
        });
        expectedTotal = all.length - before;
      }
    }
    await producer;
    const expected = (await idsInLog(teamId)).slice(before);
    expect(failure).toBeUndefined();
    expect(expected).toHaveLength(DIRECT + MUTATIONS);
    expect(received).toEqual(expected);
    expect(new Set(received).size).toBe(received.length);
    expect(sessions).toBeGreaterThan(10); // the stream really was cut many times
  }, 120_000);

  it('stops streaming to an admin who loses the Admin role within 5 seconds', async () => {
    const user = await signUpUserWithTeam(anonymous);
    const ws = user.client.ws();
    let closedAt = 0;
    ws.on('closed', () => (closedAt ||= Date.now()));
    const sub = subscribe(ws, AuditEventsDocument, { teamId: user.personalTeamId, after: null });
    await new Promise((r) => setTimeout(r, 300)); // connected and subscribed
    const demotedAt = Date.now();
    // No operation demotes an admin yet: change the role where the Team subgraph keeps it.
    await graph.apps.team.infra.dataSource.query(`UPDATE team.memberships SET role = 'MEMBER' WHERE team_id = $1 AND user_id = $2`, [user.personalTeamId, user.id]);
    await eventually(() => expect(closedAt).toBeGreaterThan(0), 5000, 20);
    expect(closedAt - demotedAt).toBeLessThan(5000);
    sub.unsubscribe();
    await ws.dispose();
  });
});
