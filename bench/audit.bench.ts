/**
 * Audit log at scale: search p95 per filter kind, hash-chain verification time and live stream
 * delivery rate, over one team with a million events.
 *
 *   npm run bench:audit -- [--events 1000000] [--runs 200]
 *
 * Seeds in SQL (generate_series, the chain computed by a PL/pgSQL loop with the same
 * `audit.entry_hash` the service uses), then measures through AuditEventService, as a resolver
 * would call it. Uses DATABASE_URL (or an embedded PostgreSQL) and a fresh database it drops.
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { createEvent, EventType, type DomainEvent } from '../subgraphs/kit/events';
import { Session } from '../subgraphs/kit/session';
import { subgraphConfig } from '../test/support/graph';
import { SubgraphApp } from '../subgraphs/kit/subgraph';
import { auditSubgraph } from '../subgraphs/audit/audit.subgraph';
import type { AuditServices } from '../subgraphs/audit/audit.context';
import type { AuditLogFilter } from '../subgraphs/audit/audit-event/audit-event.service';
import { startEmbeddedPostgres, type RunningPostgres } from '../scripts/embedded-postgres';
import { numberArg } from './args';

const EVENTS = numberArg('events', 1_000_000);
const RUNS = numberArg('runs', 200);
const USERS = 200;
const DAY = 24 * 60 * 60 * 1000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];

/** One team's events over the past year: 15 common actions, one in a thousand rare, 200 users. */
async function seed(db: Client, teamId: string, count: number): Promise<void> {
  await db.query(`CREATE TEMP TABLE IF NOT EXISTS users AS SELECT row_number() OVER () AS n, gen_random_uuid() AS id FROM generate_series(1, ${USERS})`);
  await db.query(`CREATE UNLOGGED TABLE audit.bench_seed AS
    SELECT i AS position, gen_random_uuid() AS event_id, $1::uuid AS team_id,
      now() - interval '365 days' + (i * (interval '365 days' / $2::int)) AS occurred_at,
      CASE WHEN i % 1000 = 0 THEN 'RotateSigningKey'
        ELSE (ARRAY['ListApiKeys','CreateApiKey','UpdateApiKey','DeleteApiKey','UpdateTeam','AddTeamMember','RemoveTeamMember',
          'CreditBalanceChanged','SignIn','SignOut','ListUsage','GetInvoice','UpdateBillingDetails','CreateTeam','RevokeSession'])[1 + (i * 7) % 15] END AS description,
      'bench.event' AS event_type,
      (SELECT id FROM users WHERE n = 1 + (i * 31) % ${USERS}) AS actor_user_id,
      NULL::uuid AS actor_api_key_id, '203.0.113.' || (i % 250) AS actor_ip, 'bench/1.0' AS actor_user_agent,
      'ALLOWED' AS outcome, jsonb_build_object('n', i) AS payload
    FROM generate_series(1, $2::int) i`, [teamId, count]);
  await db.query('CREATE UNLOGGED TABLE audit.bench_chain (position bigint, prev_hash bytea, hash bytea)');
  await db.query(`DO $$
    DECLARE r record; prev bytea := decode(repeat('00', 32), 'hex'); h bytea;
    BEGIN
      FOR r IN SELECT * FROM audit.bench_seed ORDER BY position LOOP
        h := audit.entry_hash(prev, r.event_id, r.team_id, r.position, r.occurred_at, r.description, r.event_type,
               r.actor_user_id, r.actor_api_key_id, r.actor_ip, r.actor_user_agent, r.outcome, r.payload);
        INSERT INTO audit.bench_chain VALUES (r.position, prev, h);
        prev := h;
      END LOOP;
    END $$`);
  await db.query(`INSERT INTO audit.audit_events (event_id, team_id, occurred_at, description, event_type, actor_user_id, actor_api_key_id,
      actor_ip, actor_user_agent, outcome, payload, position, prev_hash, hash)
    SELECT s.event_id, s.team_id, s.occurred_at, s.description, s.event_type, s.actor_user_id, s.actor_api_key_id,
      s.actor_ip, s.actor_user_agent, s.outcome, s.payload, s.position, c.prev_hash, c.hash
    FROM audit.bench_seed s JOIN audit.bench_chain c USING (position) ORDER BY s.position`);
  await db.query(`INSERT INTO audit.audit_chains (chain_id, head_position, head_hash, pruned_hash)
    SELECT $1, position, hash, decode(repeat('00', 32), 'hex') FROM audit.bench_chain ORDER BY position DESC LIMIT 1`, [teamId]);
  await db.query('DROP TABLE audit.bench_seed, audit.bench_chain');
  await db.query('VACUUM ANALYZE audit.audit_events');
}

async function main(): Promise<void> {
  let embedded: RunningPostgres | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres({ dir: join(__dirname, '..', '.data', `bench-audit-${process.pid}`), ephemeral: true });
    adminUrl = embedded.url();
  }
  const dbName = `bench_audit_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const app = new SubgraphApp<AuditServices, unknown>(
    auditSubgraph as never,
    subgraphConfig('audit', url.toString(), randomBytes(32).toString('hex')),
    { serve: false, relay: false, consumers: false },
  );
  const db = new Client({ connectionString: url.toString() });
  try {
    await app.start();
    await db.connect();
    const teamId = randomUUID();
    const otherTeam = randomUUID();

    let t = performance.now();
    await seed(db, teamId, EVENTS);
    await seed(db, otherTeam, Math.round(EVENTS / 10));
    const seedSeconds = (performance.now() - t) / 1000;

    const audit = app.services.audit;
    const admin = new Session({ kind: 'user', userId: randomUUID(), sessionId: 'bench', memberships: [{ teamId, role: 'ADMIN' }] });
    const sampleIds: string[] = (await db.query('SELECT event_id FROM audit.audit_events WHERE chain_id = $1 ORDER BY random() LIMIT 500', [teamId])).rows.map(
      (r) => r.event_id,
    );
    const users: string[] = (await db.query('SELECT DISTINCT actor_user_id FROM audit.audit_events WHERE chain_id = $1', [teamId])).rows.map((r) => r.actor_user_id);
    const cursors: string[] = (await audit.search(admin, teamId, {}, 100)).edges.map((e) => e.cursor);
    const deepCursor = Buffer.from(`audit:${Math.floor(EVENTS / 2)}`).toString('base64url');
    const day = () => new Date(Date.now() - Math.floor(Math.random() * 360) * DAY);

    const kinds: [string, () => [AuditLogFilter, string | null]][] = [
      ['newest page, no filter', () => [{}, null]],
      ['next page (cursor)', () => [{}, pick(cursors)]],
      ['page from the middle (cursor)', () => [{}, deepCursor]],
      ['event id', () => [{ eventId: pick(sampleIds) }, null]],
      ['description, common (~7%)', () => [{ description: pick(['apikeys', 'TEAMMEMBER', 'signin', 'invoice']) }, null]],
      ['description, rare (0.1%)', () => [{ description: 'signingkey' }, null]],
      ['description, no match', () => [{ description: 'nothing-like-this' }, null]],
      ['user (1 of 200)', () => [{ userId: pick(users) }, null]],
      ['date range, one day', () => {
        const from = day();
        return [{ from, to: new Date(from.getTime() + DAY) }, null];
      }],
      ['date range, 30 days', () => {
        const from = day();
        return [{ from, to: new Date(from.getTime() + 30 * DAY) }, null];
      }],
      ['date range, the last 365 days', () => [{ from: new Date(Date.now() - 365 * DAY) }, null]],
      ['user + 30 days', () => {
        const from = day();
        return [{ userId: pick(users), from, to: new Date(from.getTime() + 30 * DAY) }, null];
      }],
      ['description + user', () => [{ description: 'apikey', userId: pick(users) }, null]],
      ['date range, 180 days', () => {
        const from = new Date(Date.now() - (180 + Math.floor(Math.random() * 180)) * DAY);
        return [{ from, to: new Date(from.getTime() + 180 * DAY) }, null];
      }],
      ['365 days, next page (cursor)', () => [{ from: new Date(Date.now() - 365 * DAY) }, pick(cursors)]],
      ['description + 365 days', () => [{ description: pick(['apikeys', 'TEAMMEMBER', 'signin', 'invoice']), from: new Date(Date.now() - 365 * DAY) }, null]],
      ['description rare + 365 days', () => [{ description: 'signingkey', from: new Date(Date.now() - 365 * DAY) }, null]],
      ['user + 365 days', () => [{ userId: pick(users), from: new Date(Date.now() - 365 * DAY) }, null]],
      ['description + user + 30 days', () => {
        const from = day();
        return [{ description: 'apikey', userId: pick(users), from, to: new Date(from.getTime() + 30 * DAY) }, null];
      }],
    ];
    const results: { kind: string; p50: number; p95: number; max: number; rows: number }[] = [];
    for (const [kind, make] of kinds) {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < RUNS + 10; i++) {
        const [filter, after] = make();
        const start = performance.now();
        const page = await audit.search(admin, teamId, filter, 50, after);
        if (i >= 10) times.push(performance.now() - start); // the first ten warm the cache
        rows += page.edges.length;
      }
      times.sort((a, b) => a - b);
      results.push({ kind, p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1)!, rows: Math.round(rows / (RUNS + 10)) });
    }

    const verifications: number[] = [];
    let checked = 0;
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      const v = await audit.verify(admin, teamId);
      verifications.push((performance.now() - t) / 1000);
      if (!v.ok) throw new Error(`seeded chain does not verify: ${JSON.stringify(v.firstBreak)}`);
      checked = v.eventsChecked;
    }

    // Replay: stream the newest 100k events from a cursor.
    const replayCount = Math.min(100_000, EVENTS);
    const replayFrom = Buffer.from(`audit:${EVENTS - replayCount}`).toString('base64url');
    const replay = audit.stream(admin, teamId, replayFrom);
    t = performance.now();
    for (let n = 0; n < replayCount; n++) await replay.next();
    const replayRate = replayCount / ((performance.now() - t) / 1000);

    // Live: events recorded one transaction each while a subscriber waits at the head.
    const LIVE = 2000;
    const live = audit.stream(admin, teamId, null);
    const first = live.next();
    await new Promise((r) => setTimeout(r, 200));
    t = performance.now();
    const produce = (async () => {
      for (let i = 0; i < LIVE; i++) {
        const event = createEvent('bench', { type: EventType.TeamUpdated, aggregateId: teamId, teamId, actor: { userId: users[0] }, payload: { i } }) as DomainEvent;
        await app.infra.dataSource.transaction((tx) => audit.record(tx, event));
      }
    })();
    await first;
    for (let n = 1; n < LIVE; n++) await live.next();
    const liveSeconds = (performance.now() - t) / 1000;
    await produce;
    await replay.return(undefined);
    await live.return(undefined);

    const [{ server_version: version }] = (await db.query('SHOW server_version')).rows;
    console.log(`\naudit log: ${EVENTS.toLocaleString('en')} events in the measured team (+${Math.round(EVENTS / 10).toLocaleString('en')} in another), PostgreSQL ${version}`);
    console.log(`seeded in ${seedSeconds.toFixed(1)} s\n`);
    console.log(`search, first: 50, ${RUNS} runs each   p50 ms  p95 ms  max ms  rows`);
    for (const r of results) {
      console.log(`${r.kind.padEnd(36)} ${r.p50.toFixed(1).padStart(6)}  ${r.p95.toFixed(1).padStart(6)}  ${r.max.toFixed(1).padStart(6)}  ${String(r.rows).padStart(4)}`);
    }
    console.log(`\nverifyAuditLog over ${checked.toLocaleString('en')} events: ${verifications.map((s) => `${s.toFixed(2)} s`).join(', ')}`);
    console.log(`stream replay: ${replayCount.toLocaleString('en')} events at ${Math.round(replayRate).toLocaleString('en')} events/s`);
    console.log(`stream live: ${LIVE} events recorded one per transaction, all delivered in ${liveSeconds.toFixed(2)} s (${Math.round(LIVE / liveSeconds)} events/s, bounded by recording)`);
  } finally {
    await db.end().catch(() => undefined);
    await app.stop().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    await embedded?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
