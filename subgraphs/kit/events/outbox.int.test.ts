import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import { eventually } from '../../../test/support/eventually';
import { Session } from '../session';
import type { Tx } from '../transaction';
import { teamSubgraph } from '../../team/team.subgraph';
import type { TeamServices } from '../../team/team.context';
import type { DomainEvent } from './event';
import { EventType } from './event';
import { OutboxRelay } from './relay';

let team: StartedSubgraph<TeamServices>;

beforeAll(async () => {
  team = await startSubgraph(teamSubgraph, { app: { consumers: false, relay: false } });
});

afterAll(async () => {
  await team?.stop();
});

const outboxCount = async (type: string, teamId: string) =>
  Number((await team.app.infra.dataSource.query(`SELECT count(*) FROM team.outbox WHERE type = $1 AND envelope->>'teamId' = $2`, [type, teamId]))[0].count);

describe('transactional outbox', () => {
  it('writes no event for a change that rolled back', async () => {
    const teamId = randomUUID();
    await expect(
      team.app.infra.dataSource.transaction(async (tx) => {
        await team.app.infra.outbox.enqueue(tx, { type: EventType.TeamUpdated, aggregateId: teamId, teamId, actor: null, payload: {} });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await outboxCount(EventType.TeamUpdated, teamId)).toBe(0);
  });

  it('refuses to write an event outside a transaction', async () => {
    await expect(team.app.infra.outbox.enqueue(team.app.infra.dataSource.manager, { type: 'x', aggregateId: 'a', teamId: null, actor: null, payload: {} })).rejects.toThrow(/inside a transaction/);
  });

  it('makes a second writer of an aggregate wait until the first commits (so outbox order is commit order), and no other aggregate', async () => {
    const ds = team.app.infra.dataSource;
    const aggregateId = randomUUID();
    const write = (type: string, aggregate = aggregateId) => (tx: Tx) =>
      team.app.infra.outbox.enqueue(tx, { type, aggregateId: aggregate, teamId: null, actor: null, payload: {} });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstWrote!: () => void;
    const wrote = new Promise<void>((resolve) => (firstWrote = resolve));
    const first = ds.transaction(async (tx) => {
      await write('test.first')(tx);
      firstWrote();
      await held;
    });
    await wrote;
    let secondCommitted = false;
    const second = ds.transaction(write('test.second')).then(() => (secondCommitted = true));
    await ds.transaction(write('test.other', randomUUID())); // another aggregate is not held up
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(secondCommitted).toBe(false);
    release();
    await Promise.all([first, second]);
    const rows: { type: string }[] = await ds.query(`SELECT type FROM team.outbox WHERE aggregate_id = $1 ORDER BY seq`, [aggregateId]);
    expect(rows.map((r) => r.type)).toEqual(['test.first', 'test.second']);
  });

  it('relays committed events to the bus in commit order per team, and marks them published', async () => {
    const userId = randomUUID();
    const created = await team.app.infra.dataSource.transaction((tx) => team.app.services.teams.createPersonalTeam(tx, userId, null));
    const session = new Session({ kind: 'user', userId, sessionId: 's', memberships: [{ teamId: created.id, role: 'ADMIN' }] });
    // Concurrent renames of one team: the bus must carry them in the order they committed.
    await Promise.all(Array.from({ length: 20 }, (_, i) => team.app.services.teams.updateTeam(session, created.id, { name: `name-${i}` }, { userId })));

    const received: DomainEvent[] = [];
    const group = `outbox-test-${randomUUID()}`;
    const sub = await team.app.bus.subscribe(group, async ({ event }) => {
      if (event.teamId === created.id) received.push(event);
    });
    const drained = await team.app.relay.drainOnce();
    expect(drained).toBeGreaterThanOrEqual(22);
    await eventually(() => expect(received).toHaveLength(22));
    expect(received.slice(0, 2).map((e) => e.type)).toEqual([EventType.TeamCreated, EventType.TeamMemberAdded]);
    const [current] = await team.app.infra.dataSource.query(`SELECT name FROM team.teams WHERE id = $1`, [created.id]);
    expect((received.at(-1)!.payload as { changes: { name: string } }).changes.name).toBe(current.name);
    const [{ unpublished }] = await team.app.infra.dataSource.query(`SELECT count(*)::int AS unpublished FROM team.outbox WHERE published_at IS NULL`);
    expect(unpublished).toBe(0);
    await sub.stop();
  });

  it('keeps relaying while full batches come, and wakes for each later commit without polling', async () => {
    // Polling once a minute: only notifications can bring what is committed after a short batch.
    const pool = new Pool({ connectionString: team.db.url, max: 2 });
    const relay = new OutboxRelay(team.db.url, pool, 'team', team.app.bus, team.app.logger, { batchSize: 5, pollMs: 60_000 });
    const aggregateId = randomUUID();
    const received: string[] = [];
    const sub = await team.app.bus.subscribe(`relay-wake-${randomUUID()}`, async ({ event }) => {
      if (event.aggregateId === aggregateId) received.push(event.type);
    });
    const enqueue = (...types: string[]) =>
      team.app.infra.dataSource.transaction((tx) => team.app.infra.outbox.enqueue(tx, ...types.map((type) => ({ type, aggregateId, teamId: null, actor: null, payload: {} }))));
    try {
      await enqueue(...Array.from({ length: 12 }, (_, i) => `test.burst.${i}`));
      relay.start();
      await eventually(() => expect(received).toHaveLength(12), 5000);
      for (let i = 0; i < 3; i++) {
        await enqueue(`test.later.${i}`);
        await eventually(() => expect(received).toHaveLength(13 + i), 5000);
      }
      expect(received.slice(12)).toEqual(['test.later.0', 'test.later.1', 'test.later.2']);
    } finally {
      await relay.stop();
      await sub.stop();
      await pool.end();
    }
  });

  it('relaxes the flush wait for its published mark alone, not for what its connection commits next', async () => {
    // One connection, so the statement after the mark runs where the mark ran.
    const pool = new Pool({ connectionString: team.db.url, max: 1 });
    try {
      const relay = new OutboxRelay(team.db.url, pool, 'team', team.app.bus, team.app.logger);
      const aggregateId = randomUUID();
      await team.app.infra.dataSource.transaction((tx) => team.app.infra.outbox.enqueue(tx, { type: 'test.relaxed', aggregateId, teamId: null, actor: null, payload: {} }));
      expect(await relay.drainOnce()).toBeGreaterThanOrEqual(1);
      const { rows } = await pool.query(`SELECT published_at IS NOT NULL AS published, current_setting('synchronous_commit') AS sync FROM team.outbox WHERE aggregate_id = $1`, [
        aggregateId,
      ]);
      expect(rows).toEqual([{ published: true, sync: 'on' }]);
    } finally {
      await pool.end();
    }
  });

  it('prunes published rows past retention and keeps the unpublished ones', async () => {
    const sql = team.app.infra.dataSource;
    const old = randomUUID();
    const pending = randomUUID();
    await sql.transaction(async (tx) => {
      await team.app.infra.outbox.enqueue(tx, { type: 'test.old', aggregateId: old, teamId: null, actor: null, payload: {} });
      await team.app.infra.outbox.enqueue(tx, { type: 'test.pending', aggregateId: pending, teamId: null, actor: null, payload: {} });
    });
    await sql.query(`UPDATE team.outbox SET published_at = now() - interval '8 days' WHERE aggregate_id = $1`, [old]);
    await team.app.relay.prune();
    const left = await sql.query(`SELECT aggregate_id FROM team.outbox WHERE aggregate_id = ANY($1)`, [[old, pending]]);
    expect(left.map((r: { aggregate_id: string }) => r.aggregate_id)).toEqual([pending]);
  });
});
