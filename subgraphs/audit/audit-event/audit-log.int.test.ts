import { randomUUID } from 'node:crypto';
import { createEvent, EventType, type DomainEvent } from '../../kit/events';
import { Session } from '../../kit/session';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { AuditServices } from '../audit.context';
import { auditSubgraph } from '../audit.subgraph';
import type { DataSource } from 'typeorm';
import { auditRetentionUrl } from '../../kit/config';
import { createDataSource } from '../../kit/database';
import { AuditRetentionRepository } from './audit-retention.repository';
import { AuditRetentionService } from './audit-retention.service';
import type { AuditEventConnectionType, AuditEventType } from './audit-event.types';
import { UnitOfWork } from '../../kit/transaction';

let audit: StartedSubgraph<AuditServices>;
/** Connected as the retention role, as the retention job is. */
let retentionDb: DataSource;

beforeAll(async () => {
  audit = await startSubgraph(auditSubgraph, { app: { consumers: false, relay: false } });
  retentionDb = createDataSource({ url: auditRetentionUrl(audit.db.url), schema: 'audit', entities: [], migrations: [] }).dataSource;
  await retentionDb.initialize();
});

afterAll(async () => {
  await retentionDb?.destroy();
  await audit?.stop();
});

const retentionJob = (days: number, now: () => Date, batch?: number) =>
  new AuditRetentionService(new AuditRetentionRepository(new UnitOfWork(db()), retentionDb), days, now, batch);

const DAY = 24 * 60 * 60 * 1000;
const services = () => audit.app.services;
const db = () => audit.app.infra.dataSource;
const adminOf = (teamId: string, userId = randomUUID()) => new Session({ kind: 'user', userId, sessionId: 's', memberships: [{ teamId, role: 'ADMIN' }] });
const memberOf = (teamId: string) => new Session({ kind: 'user', userId: randomUUID(), sessionId: 's', memberships: [{ teamId, role: 'MEMBER' }] });

const teamEvent = (teamId: string, overrides: { type?: string; userId?: string; occurredAt?: Date } = {}): DomainEvent =>
  createEvent('team', {
    type: overrides.type ?? EventType.TeamUpdated,
    aggregateId: teamId,
    teamId,
    actor: { userId: overrides.userId ?? randomUUID(), ip: '203.0.113.7' },
    occurredAt: overrides.occurredAt,
    payload: { teamId, n: Math.random() },
  }) as DomainEvent;

const record = (event: DomainEvent) => audit.app.infra.dataSource.transaction((tx) => services().audit.record(tx, event));

async function recordMany(teamId: string, n: number, overrides: Parameters<typeof teamEvent>[1] = {}): Promise<DomainEvent[]> {
  const events: DomainEvent[] = [];
  for (let i = 0; i < n; i++) {
    const event = teamEvent(teamId, overrides);
    await record(event);
    events.push(event);
  }
  return events;
}

const ids = (page: { edges: { node: AuditEventType }[] }) => page.edges.map((e) => e.node.id);

/** Tampering needs the owner to switch the immutability trigger off first, as an attacker with DDL would. */
async function tamper(sql: string | string[], params: unknown[]): Promise<void> {
  await db().transaction(async (tx) => {
    await tx.query('ALTER TABLE audit.audit_events DISABLE TRIGGER audit_events_immutable');
    for (const statement of [sql].flat()) await tx.query(statement, params);
    await tx.query('ALTER TABLE audit.audit_events ENABLE TRIGGER audit_events_immutable');
  });
}

describe('searching the audit log', () => {
  it('finds one event by its exact id', async () => {
    const teamId = randomUUID();
    const events = await recordMany(teamId, 3);
    const page = await services().audit.search(adminOf(teamId), teamId, { eventId: events[1].id });
    expect(ids(page)).toEqual([events[1].id]);
  });

  it('matches a description substring regardless of case, and treats % and _ literally', async () => {
    const teamId = randomUUID();
    const [added] = await recordMany(teamId, 1, { type: EventType.TeamMemberAdded });
    await recordMany(teamId, 2, { type: EventType.TeamUpdated });
    expect(ids(await services().audit.search(adminOf(teamId), teamId, { description: 'teamMEMBER' }))).toEqual([added.id]);
    expect(ids(await services().audit.search(adminOf(teamId), teamId, { description: '%' }))).toEqual([]);
    expect(ids(await services().audit.search(adminOf(teamId), teamId, { description: 'Update_eam' }))).toEqual([]);
  });

  it('filters by the acting user', async () => {
    const teamId = randomUUID();
    const userId = randomUUID();
    const mine = await recordMany(teamId, 2, { userId });
    await recordMany(teamId, 2);
    expect(ids(await services().audit.search(adminOf(teamId), teamId, { userId }))).toEqual([mine[1].id, mine[0].id]);
  });

  it('filters by a date range, from inclusive and to exclusive', async () => {
    const teamId = randomUUID();
    const day = (d: number) => new Date(Date.UTC(2025, 0, d));
    const [e1, e2, e3] = [await recordMany(teamId, 1, { occurredAt: day(1) }), await recordMany(teamId, 1, { occurredAt: day(2) }), await recordMany(teamId, 1, { occurredAt: day(3) })];
    const page = await services().audit.search(adminOf(teamId), teamId, { from: day(2), to: day(3) });
    expect(ids(page)).toEqual([e2[0].id]);
    expect(ids(await services().audit.search(adminOf(teamId), teamId, { from: day(1) }))).toEqual([e3[0].id, e2[0].id, e1[0].id]);
    await expect(services().audit.search(adminOf(teamId), teamId, { from: day(3), to: day(1) })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('finds events that arrived late in a date range, exact to the millisecond inside an hour, newest recorded first', async () => {
    const teamId = randomUUID();
    const at = (minute: number, ms = 0) => new Date(Date.UTC(2025, 2, 10, 14, minute, 0, ms));
    const [before] = await recordMany(teamId, 1, { occurredAt: at(10) });
    const [first] = await recordMany(teamId, 1, { occurredAt: at(15) });
    const [second] = await recordMany(teamId, 1, { occurredAt: at(25) });
    const [atTo] = await recordMany(teamId, 1, { occurredAt: at(30) });
    const [nextDay] = await recordMany(teamId, 1, { occurredAt: new Date(Date.UTC(2025, 2, 11, 9)) });
    // Recorded after newer events: its position is the newest, its time inside the range.
    const [late] = await recordMany(teamId, 1, { occurredAt: at(29, 999) });
    const [lateBefore] = await recordMany(teamId, 1, { occurredAt: at(14, 999) });
    const admin = adminOf(teamId);
    const range = { from: at(15), to: at(30) };
    expect(ids(await services().audit.search(admin, teamId, range))).toEqual([late.id, second.id, first.id]);
    const paged: string[] = [];
    let after: string | null = null;
    do {
      const page: AuditEventConnectionType = await services().audit.search(admin, teamId, range, 1, after);
      paged.push(...ids(page));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(paged).toEqual([late.id, second.id, first.id]);
    expect(ids(await services().audit.search(admin, teamId, { to: at(15) }))).toEqual([lateBefore.id, before.id]);
    expect(ids(await services().audit.search(admin, teamId, { from: at(30) }))).toEqual([nextDay.id, atTo.id]);
    expect(ids(await services().audit.search(admin, teamId, { from: at(31), to: new Date(Date.UTC(2025, 2, 11, 9)) }))).toEqual([]);
    expect(ids(await services().audit.search(admin, teamId, { from: new Date(Date.UTC(2024, 0, 1)), to: new Date(Date.UTC(2024, 0, 2)) }))).toEqual([]);
  });

  it('pages newest first, and new events arriving between pages neither shift nor repeat what follows', async () => {
    const teamId = randomUUID();
    const admin = adminOf(teamId);
    const events = await recordMany(teamId, 7);
    const first = await services().audit.search(admin, teamId, {}, 3);
    await recordMany(teamId, 4); // arrive while the admin reads page one
    const second = await services().audit.search(admin, teamId, {}, 3, first.pageInfo.endCursor);
    const third = await services().audit.search(admin, teamId, {}, 3, second.pageInfo.endCursor);
    expect([...ids(first), ...ids(second), ...ids(third)]).toEqual(events.map((e) => e.id).reverse());
    expect(third.pageInfo.hasNextPage).toBe(false);
    expect(first.pageInfo.hasNextPage).toBe(true);
  });

  it('never shows another team’s events, and refuses members and other teams’ admins', async () => {
    const teamId = randomUUID();
    const otherTeam = randomUUID();
    await recordMany(teamId, 1);
    const [theirs] = await recordMany(otherTeam, 1);
    expect(ids(await services().audit.search(adminOf(teamId), teamId, { eventId: theirs.id }))).toEqual([]);
    await expect(services().audit.search(memberOf(teamId), teamId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(services().audit.search(adminOf(otherTeam), teamId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('can answer a description search from the trigram index', async () => {
    const [plan] = await db().transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      return tx.query(`EXPLAIN (FORMAT JSON) SELECT seq FROM audit.audit_events WHERE description ILIKE '%apikey%'`);
    });
    expect(JSON.stringify(plan)).toContain('audit_events_description_trgm_idx');
  });
});

describe('the hash chain', () => {
  it('numbers concurrently recorded events 1..n without gaps and verifies', async () => {
    const teamId = randomUUID();
    await Promise.all(Array.from({ length: 20 }, () => record(teamEvent(teamId))));
    const rows = await db().query('SELECT position FROM audit.audit_events WHERE chain_id = $1 ORDER BY position', [teamId]);
    expect(rows.map((r: { position: string }) => Number(r.position))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const result = await services().audit.verify(adminOf(teamId), teamId);
    expect(result).toMatchObject({ ok: true, eventsChecked: 20, headPosition: 20n, firstBreak: null });
    expect(result.headHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records a redelivered event once', async () => {
    const teamId = randomUUID();
    const event = teamEvent(teamId);
    await record(event);
    await record(event);
    expect(await services().audit.verify(adminOf(teamId), teamId)).toMatchObject({ ok: true, eventsChecked: 1 });
  });

  it('detects an edited event', async () => {
    const teamId = randomUUID();
    const events = await recordMany(teamId, 5);
    await tamper(`UPDATE audit.audit_events SET description = 'Nothing' WHERE event_id = $1`, [events[2].id]);
    expect((await services().audit.verify(adminOf(teamId), teamId)).firstBreak).toEqual({ position: 3n, eventId: events[2].id, reason: 'CONTENT_CHANGED' });
  });

  it('detects a deleted event', async () => {
    const teamId = randomUUID();
    const events = await recordMany(teamId, 5);
    await tamper('DELETE FROM audit.audit_events WHERE event_id = $1', [events[1].id]);
    expect((await services().audit.verify(adminOf(teamId), teamId)).firstBreak).toEqual({ position: 3n, eventId: events[2].id, reason: 'MISSING_EVENTS' });
  });

  it('detects reordered events', async () => {
    const teamId = randomUUID();
    const events = await recordMany(teamId, 5);
    await tamper(
      [
        'UPDATE audit.audit_events SET position = 0 WHERE chain_id = $1 AND position = 2',
        'UPDATE audit.audit_events SET position = 2 WHERE chain_id = $1 AND position = 3',
        'UPDATE audit.audit_events SET position = 3 WHERE chain_id = $1 AND position = 0',
      ],
      [teamId],
    );
    expect((await services().audit.verify(adminOf(teamId), teamId)).firstBreak).toEqual({ position: 2n, eventId: events[2].id, reason: 'LINK_BROKEN' });
  });

  it('detects a truncated log', async () => {
    const teamId = randomUUID();
    await recordMany(teamId, 5);
    await tamper('DELETE FROM audit.audit_events WHERE chain_id = $1 AND position > 3', [teamId]);
    const result = await services().audit.verify(adminOf(teamId), teamId);
    expect(result).toMatchObject({ ok: false, firstBreak: { position: 4n, eventId: null, reason: 'TRUNCATED' } });
  });

  it('keeps other teams’ chains intact when one is tampered with', async () => {
    const teamId = randomUUID();
    const other = randomUUID();
    const events = await recordMany(teamId, 2);
    await recordMany(other, 2);
    await tamper(`UPDATE audit.audit_events SET outcome = 'DENIED' WHERE event_id = $1`, [events[0].id]);
    expect((await services().audit.verify(adminOf(other), other)).ok).toBe(true);
    expect((await services().audit.verify(adminOf(teamId), teamId)).ok).toBe(false);
  });

  it('is verified for team admins only', async () => {
    const teamId = randomUUID();
    await expect(services().audit.verify(memberOf(teamId), teamId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(services().audit.verify(adminOf(randomUUID()), teamId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('immutable audit rows', () => {
  it('refuses UPDATE, DELETE and TRUNCATE through the application’s connection', async () => {
    const teamId = randomUUID();
    const [event] = await recordMany(teamId, 1);
    await expect(db().query(`UPDATE audit.audit_events SET outcome = 'DENIED' WHERE event_id = $1`, [event.id])).rejects.toThrow(/cannot be changed or deleted/);
    await expect(db().query('DELETE FROM audit.audit_events WHERE event_id = $1', [event.id])).rejects.toThrow(/cannot be changed or deleted/);
    await expect(db().query('TRUNCATE audit.audit_events')).rejects.toThrow(/cannot be changed or deleted/);
    expect(await db().query('SELECT 1 FROM audit.audit_events WHERE event_id = $1', [event.id])).toHaveLength(1);
  });

  it('refuses the application’s role even an event past the period, whatever session settings it sets', async () => {
    const teamId = randomUUID();
    const [old] = await recordMany(teamId, 1, { occurredAt: new Date(Date.now() - 3 * 365 * DAY) });
    for (const setting of [`SELECT set_config('audit.retention', 'on', true)`, `SET LOCAL audit.retention = 'on'`, `SET LOCAL session_replication_role = 'origin'`]) {
      await expect(
        db().transaction(async (tx) => {
          await tx.query(setting);
          await tx.query('DELETE FROM audit.audit_events WHERE event_id = $1', [old.id]);
        }),
      ).rejects.toThrow(/cannot be changed or deleted/);
    }
    await expect(
      db().transaction(async (tx) => {
        await tx.query(`SELECT set_config('audit.retention', 'on', true)`);
        await tx.query(`UPDATE audit.audit_events SET outcome = 'DENIED' WHERE event_id = $1`, [old.id]);
      }),
    ).rejects.toThrow(/cannot be changed or deleted/);
    expect(await db().query('SELECT outcome FROM audit.audit_events WHERE event_id = $1', [old.id])).toEqual([{ outcome: 'ALLOWED' }]);
  });
});

describe('the retention role', () => {
  it('deletes an event past the retention period', async () => {
    await retentionJob(30, () => new Date()).run(); // records the 30-day period
    const [old] = await recordMany(randomUUID(), 1, { occurredAt: new Date(Date.now() - 40 * DAY) });
    const [, deleted] = await retentionDb.query('DELETE FROM audit.audit_events WHERE event_id = $1', [old.id]);
    expect(deleted).toBe(1);
  });

  it('cannot delete an event still inside the retention period', async () => {
    await retentionJob(30, () => new Date()).run();
    const [recent] = await recordMany(randomUUID(), 1, { occurredAt: new Date(Date.now() - 20 * DAY) });
    await expect(retentionDb.query('DELETE FROM audit.audit_events WHERE event_id = $1', [recent.id])).rejects.toThrow(/only after the retention period/);
    expect(await db().query('SELECT 1 FROM audit.audit_events WHERE event_id = $1', [recent.id])).toHaveLength(1);
  });

  it('cannot update an event, old or new, nor truncate', async () => {
    const [old] = await recordMany(randomUUID(), 1, { occurredAt: new Date(Date.now() - 3 * 365 * DAY) });
    await expect(retentionDb.query(`UPDATE audit.audit_events SET outcome = 'DENIED' WHERE event_id = $1`, [old.id])).rejects.toThrow(/permission denied/);
    await expect(retentionDb.query('TRUNCATE audit.audit_events')).rejects.toThrow(/permission denied/);
    expect(await db().query('SELECT outcome FROM audit.audit_events WHERE event_id = $1', [old.id])).toEqual([{ outcome: 'ALLOWED' }]);
  });

  it('cannot shorten the retention period it is held to, nor move a chain’s head', async () => {
    await expect(retentionDb.query('UPDATE audit.retention_policy SET keep_days = 1')).rejects.toThrow(/permission denied/);
    await expect(retentionDb.query('UPDATE audit.audit_chains SET head_position = 0')).rejects.toThrow(/permission denied/);
  });
});

describe('retention', () => {

  it('deletes events older than the period, keeps the rest verifiable, and does nothing more when run again', async () => {
    const teamId = randomUUID();
    const now = new Date();
    const old = await recordMany(teamId, 3, { occurredAt: new Date(now.getTime() - 40 * DAY) });
    const recent = await recordMany(teamId, 2, { occurredAt: new Date(now.getTime() - 10 * DAY) });
    const retention = retentionJob(30, () => now, 2);

    const first = await retention.run();
    expect(first.deleted).toBeGreaterThanOrEqual(3);
    const kept = await services().audit.search(adminOf(teamId), teamId);
    expect(ids(kept)).toEqual(recent.map((e) => e.id).reverse());
    expect(ids(kept)).not.toEqual(expect.arrayContaining([old[0].id]));
    expect(await services().audit.verify(adminOf(teamId), teamId)).toMatchObject({ ok: true, eventsChecked: 2, headPosition: 5n });

    expect((await retention.run()).deleted).toBe(0);
    expect(await services().audit.verify(adminOf(teamId), teamId)).toMatchObject({ ok: true, eventsChecked: 2 });
  });

  it('never deletes past an event still inside the period, even when older ones were recorded after it', async () => {
    const teamId = randomUUID();
    const now = new Date();
    await recordMany(teamId, 1, { occurredAt: new Date(now.getTime() - 40 * DAY) });
    const [young] = await recordMany(teamId, 1, { occurredAt: new Date(now.getTime() - 1 * DAY) });
    const [lateOld] = await recordMany(teamId, 1, { occurredAt: new Date(now.getTime() - 50 * DAY) });
    await retentionJob(30, () => now).run();
    expect(ids(await services().audit.search(adminOf(teamId), teamId))).toEqual([lateOld.id, young.id]);
    expect((await services().audit.verify(adminOf(teamId), teamId)).ok).toBe(true);
  });

  it('is still caught when events are deleted outside retention after a prune', async () => {
    const teamId = randomUUID();
    const now = new Date();
    await recordMany(teamId, 2, { occurredAt: new Date(now.getTime() - 40 * DAY) });
    const kept = await recordMany(teamId, 3);
    await retentionJob(30, () => now).run();
    await tamper('DELETE FROM audit.audit_events WHERE event_id = $1', [kept[0].id]);
    expect((await services().audit.verify(adminOf(teamId), teamId)).firstBreak).toMatchObject({ position: 4n, reason: 'MISSING_EVENTS' });
  });
});

describe('export', () => {
  const collect = async (lines: AsyncIterable<string>) => {
    const out: { id: string; position: string }[] = [];
    for await (const line of lines) out.push(JSON.parse(line));
    return out;
  };

  it('reads page by page, oldest first, only the date range, and every event once', async () => {
    const teamId = randomUUID();
    const now = Date.now();
    const early = await recordMany(teamId, 3, { occurredAt: new Date(now - 10 * 60_000) });
    const inRange = await recordMany(teamId, 23, { occurredAt: new Date(now - 5 * 60_000) });
    await recordMany(teamId, 2, { occurredAt: new Date(now) });
    const lines = await collect(await services().audit.exportLines(adminOf(teamId), teamId, new Date(now - 6 * 60_000), new Date(now - 60_000), 5));
    expect(lines.map((l) => l.id)).toEqual(inRange.map((e) => e.id));
    expect(lines.map((l) => l.id)).not.toEqual(expect.arrayContaining([early[0].id]));
    expect(await collect(await services().audit.exportLines(adminOf(teamId), teamId, undefined, undefined, 4))).toHaveLength(28);
  });

  it('includes an event that arrived late for the range and nothing from the same hours outside it', async () => {
    const teamId = randomUUID();
    const at = (minute: number) => new Date(Date.UTC(2025, 5, 1, 8, minute));
    await recordMany(teamId, 2, { occurredAt: at(1) });
    const inRange = await recordMany(teamId, 3, { occurredAt: at(20) });
    await recordMany(teamId, 2, { occurredAt: at(59) });
    const late = await recordMany(teamId, 1, { occurredAt: at(21) });
    const lines = await collect(await services().audit.exportLines(adminOf(teamId), teamId, at(2), at(40), 2));
    expect(lines.map((l) => l.id)).toEqual([...inRange, ...late].map((e) => e.id));
  });

  it('is refused to members and other teams’ admins before anything is read', async () => {
    const teamId = randomUUID();
    await expect(services().audit.exportLines(memberOf(teamId), teamId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(services().audit.exportLines(adminOf(randomUUID()), teamId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
