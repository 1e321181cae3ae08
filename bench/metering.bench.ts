/**
 * Metering throughput on one hot team, side by side: group-committed debits (what Billing runs)
 * against the naive design (one transaction and one balance-row update per event).
 *
 *   npm run bench:metering -- [--seconds 5] [--reporters 256] [--events 10] [--rate 20000]
 *                             [--gateway-seconds 15] [--gateway-rate-seconds 30] [--gateway-reporters 8] [--gateway-events 200] [--gateway-rate 5000]
 *                             [--only service|gateway] [--no-naive]
 *
 * `--only service|gateway` runs one half; `--no-naive` skips the naive design's runs.
 *
 * Service layer: `reporters` concurrent callers of MeteringService.record, each sending
 * `events` fresh events per call, for `seconds`. Events name an API key Billing knows (from
 * Team's key-created event, applied by Billing's consumer); the batched design also runs with a
 * key that has a monthly spend cap (set high enough for every event to fit), so the cap's
 * check and spend write are measured side by side with the uncapped key. Gateway: `gateway-reporters` HTTP clients send
 * recordUsage with `gateway-events` events per request and the usage-reporter token. Every event
 * must be accepted (the team has ample credits). Each batched run is followed by an open-loop
 * run at a fixed rate (`rate`, `gateway-rate`) whose ack latency is not inflated by the load
 * generator's own queueing; at the end the stored balance must equal the
 * ledger recomputed and the billed usage rows. Ack latency is per call / per HTTP request.
 * The gateway's load runs on a worker thread of its own, so this process's garbage collections
 * are not counted as the gateway's latency. Each run also reports the WAL written per event, and
 * each fixed-rate run the latency of a one-row durable commit made alongside it. On Linux, each
 * gateway run reports the CPU every process spent per request (gateway, each subgraph, the local
 * PostgreSQL server, this process): the parts share two cores, so their sum is the load behind the tail.
 * Uses DATABASE_URL (or TEST_ADMIN_DATABASE_URL) when set, else an embedded PostgreSQL.
 */
import './production-mode';
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { performance } from 'node:perf_hooks';
import { Session } from '../subgraphs/kit/session';
import { SubgraphApp } from '../subgraphs/kit/subgraph';
import type { BillingServices } from '../subgraphs/billing/billing.context';
import { billingSubgraph } from '../subgraphs/billing/billing.subgraph';
import type { UsageEvent } from '../subgraphs/billing/metering/usage-rules';
import type { RunningPostgres } from '../scripts/embedded-postgres';
import { embeddedPostgresUnlessConfigured } from './embedded-database';
import { registerApiKey } from '../test/support/billing-keys';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { subgraphConfig } from '../test/support/graph';
import { GatewayProcess, SubgraphProcess } from '../test/support/processes';
import { subgraphNames } from '../subgraphs/kit/config';
import { flag, numberArg, stringArg } from './args';
import { closedLoop, LoadThread, openLoop, type LoopResult } from './load';
import { postmasterOf, startCpuMeter, startStealMeter, withChildren } from './process-cpu';
import type { UsageLoad } from './usage-load-worker';

const SECONDS = numberArg('seconds', 5);
// A gateway run makes 25 requests a second, not thousands of calls: longer, for a p99 of more than a handful.
const GW_SECONDS = numberArg('gateway-seconds', 15);
// The fixed-rate run's p99 is what the target is about: 750 requests make it the 8th slowest, not the 4th of 375.
const GW_RATE_SECONDS = numberArg('gateway-rate-seconds', 30);
// Enough callers in flight to saturate the pipeline: with fewer, a closed loop measures its own
// concurrency divided by the batch latency (Little's law) rather than what metering can take.
const REPORTERS = numberArg('reporters', 256);
const EVENTS = numberArg('events', 10);
const GW_REPORTERS = numberArg('gateway-reporters', 8);
const GW_EVENTS = numberArg('gateway-events', 200);
const SVC_RATE = numberArg('rate', 20_000);
const GW_RATE = numberArg('gateway-rate', 5_000);
const ONLY = stringArg('only');
const NAIVE = !flag('no-naive');
const WARMUP_MS = 1000;
// The gateway runs start fresh processes, whose code the JIT has yet to compile.
const GW_WARMUP_MS = 5000;
const reporter = new Session({ kind: 'service', service: 'usage-reporter' });
const progress = (m: string) => process.stderr.write(`[bench:metering] ${m}\n`);

interface Figures {
  label: string;
  events: number;
  calls: number;
  errors: number;
  seconds: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  /** Calls acknowledged in over 50 ms. */
  over50: number;
  /** WAL the whole cluster wrote during the run (every service and consumer), per event. */
  walPerEvent?: number;
  /** A one-row durable commit's latency during the run (fixed-rate runs). */
  commitP99?: number;
  commitMax?: number;
  /** Share of the machine's CPU time the hypervisor stole during the run (where /proc can tell): noise from outside. */
  stolen?: number;
  /** CPU milliseconds each part of the system spent per call (gateway runs, where /proc can tell). */
  cpuPerCall?: Record<string, number>;
}

/**
 * The commit probe's period. Its commits share the WAL and its flushes with the run it watches:
 * every 20 ms they lengthened that run's tail, so it samples more sparsely.
 */
const COMMIT_PROBE_MS = 100;

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/**
 * Runs a measured loop and adds what the database did meanwhile. WAL: every commit waits for its
 * WAL to be flushed, so bytes per event are what the disk must take at a given rate; on a shared
 * disk, flush stalls grow with them. With `commits`, a probe commits a one-row update every
 * COMMIT_PROBE_MS on its own connection: the latency of the smallest durable commit, the floor
 * under any acknowledgement that waits for one (as metering's does).
 */
async function measured(db: TestDatabase, run: () => Promise<Figures>, commits = false, processes?: Record<string, number[]>): Promise<Figures> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const postmaster = processes && postmasterOf((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    const steal = startStealMeter();
    const cpu = processes && startCpuMeter(() => ({ ...processes, ...(postmaster ? { PostgreSQL: withChildren(postmaster) } : {}) }));
    const position = async () => BigInt((await client.query<{ at: string }>(`SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::text AS at`)).rows[0].at);
    if (commits) await client.query('CREATE TABLE IF NOT EXISTS bench_commit_probe (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO bench_commit_probe VALUES (1, 0) ON CONFLICT DO NOTHING');
    const before = await position();
    let running = true;
    const commitLatencies: number[] = [];
    const probe = (async () => {
      while (commits && running) {
        const at = performance.now();
        await client.query('UPDATE bench_commit_probe SET n = n + 1 WHERE id = 1');
        commitLatencies.push(performance.now() - at);
        await new Promise((r) => setTimeout(r, COMMIT_PROBE_MS));
      }
    })();
    const figures = await run().finally(() => (running = false));
    const spent = cpu?.();
    const stolen = steal();
    await probe;
    commitLatencies.sort((a, b) => a - b);
    return {
      ...figures,
      ...(spent ? { cpuPerCall: Object.fromEntries(Object.entries(spent).map(([name, s]) => [name, (s * 1000) / Math.max(1, figures.calls)])) } : {}),
      ...(stolen === undefined ? {} : { stolen }),
      walPerEvent: Number((await position()) - before) / Math.max(1, figures.events),
      ...(commits ? { commitP99: pct(commitLatencies, 99), commitMax: commitLatencies[commitLatencies.length - 1] } : {}),
    };
  } finally {
    await client.end();
  }
}

const usage = (teamId: string, apiKeyId: string, requestId: string): UsageEvent => ({
  requestId,
  teamId,
  apiKeyId,
  model: 'grok-3-mini',
  promptTokens: 120,
  cachedPromptTokens: 20,
  completionTokens: 40,
  occurredAt: new Date(),
});

/** A loop's figures; the first failure, if any, is shown as it happened. */
function figuresOf(label: string, { events, errors, elapsedMs, latencies, firstError }: LoopResult): Figures {
  if (firstError) progress(`${label}: ${firstError}`);
  latencies.sort((a, b) => a - b);
  return {
    label,
    events,
    calls: latencies.length,
    errors,
    seconds: elapsedMs / 1000,
    p50: pct(latencies, 50),
    p90: pct(latencies, 90),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    over50: latencies.filter((ms) => ms > 50).length,
  };
}

async function fundedTeam(services: BillingServices): Promise<string> {
  const teamId = randomUUID();
  await services.balances.post({ teamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: 10n ** 18n, actor: null });
  return teamId;
}

async function verify(services: BillingServices, teamId: string, label: string): Promise<void> {
  const [b] = await services.balances.balancesOf([teamId]);
  const r = await services.balances.recompute(teamId);
  if (r.prepaidTicks !== b.prepaidTicks || r.invoicedTicks !== b.invoicedThisPeriodTicks) throw new Error(`${label}: ledger recomputation differs from the balance`);
}

async function serviceLayer(db: TestDatabase, mode: 'batched' | 'per-event', capped = false): Promise<Figures[]> {
  const app = new SubgraphApp(billingSubgraph, subgraphConfig('billing', db.url, 'x'.repeat(40), undefined, { meteringMode: mode }), { consumers: false, relay: false, serve: false });
  await app.start();
  try {
    const services = app.services;
    const teamId = await fundedTeam(services);
    const keyId = await registerApiKey(app, teamId);
    const admin = new Session({ kind: 'user', userId: randomUUID(), sessionId: 'bench', memberships: [{ teamId, role: 'ADMIN' }] });
    if (capped) await services.apiKeys.setMonthlySpendCap(admin, keyId, 10n ** 16n);
    const label = `service layer, ${mode}${capped ? ', capped' : ''}`;
    let n = 0;
    const call = async () => {
      const events = Array.from({ length: EVENTS }, () => usage(teamId, keyId, `svc-${mode}-${capped}-${n++}`));
      const r = await services.metering.record(reporter, events);
      if (r.accepted !== EVENTS) throw new Error(`accepted ${r.accepted} of ${EVENTS}: ${JSON.stringify(r.rejected[0])}`);
      return r.accepted;
    };
    figuresOf('warm-up', await closedLoop(REPORTERS, WARMUP_MS, call));
    const figures = [await measured(db, async () => figuresOf(label, await closedLoop(REPORTERS, SECONDS * 1000, call)))];
    if (mode === 'batched') {
      const fixed = `  at ${SVC_RATE}/s fixed rate`;
      figures.push(await measured(db, async () => figuresOf(fixed, await openLoop(SVC_RATE / EVENTS, SECONDS * 1000, call)), true));
    }
    await verify(services, teamId, figures[0].label);
    return figures;
  } finally {
    await app.stop();
  }
}

/**
 * The graph as deployed: the gateway and each subgraph in its own process, in production mode,
 * with production's rate limits and operation log; this process only generates load. A Billing
 * app here that serves nothing funds the team, makes the key known and checks the ledger.
 */
async function throughGateway(db: TestDatabase, mode: 'batched' | 'per-event'): Promise<Figures[]> {
  const secret = randomBytes(32).toString('hex');
  const token = randomBytes(32).toString('hex');
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    AUDIT_RETENTION_DATABASE_URL: db.url,
    INTERNAL_AUTH_SECRET: secret,
    EVENT_BUS: 'postgres',
    BILLING_METERING_MODE: mode,
  };
  const subgraphs = subgraphNames.map((name) => new SubgraphProcess(name, env));
  const billing = new SubgraphApp(billingSubgraph, subgraphConfig('billing', db.url, secret), { consumers: false, relay: false, serve: false });
  let gateway: GatewayProcess | undefined;
  const loadThread = new LoadThread<UsageLoad, LoopResult>(join(__dirname, 'usage-load-worker.ts'));
  try {
    await Promise.all([...subgraphs.map((s) => s.start()), billing.start()]);
    gateway = new GatewayProcess({
      ...env,
      ...Object.fromEntries(subgraphs.map((s) => [`${s.name.toUpperCase()}_URL`, s.url])),
      USAGE_REPORTER_TOKENS: token,
      // The naive design takes longer than the default deadline to bill a 200-event request under load.
      ...(mode === 'per-event' ? { REQUEST_TIMEOUT_MS: '300000' } : {}),
    });
    await gateway.start();
    const services = billing.services;
    const teamId = await fundedTeam(services);
    const keyId = await registerApiKey(billing, teamId);
    const query = 'mutation ($events: [UsageEventInput!]!) { recordUsage(events: $events) { accepted duplicates rejected { code } } }';
    // Bodies are spliced from pre-serialized parts: the load generator shares the machine's two
    // cores with the system under test, so it should spend as little of them as it can.
    const { requestId: _, occurredAt: __, ...fixed } = usage(teamId, keyId, '');
    const load = {
      url: gateway.url,
      token,
      head: `{"query":${JSON.stringify(query)},"variables":{"events":[`,
      eventTail: `",${JSON.stringify(fixed).slice(1)}`,
      eventsPerRequest: GW_EVENTS,
    };
    figuresOf('warm-up', await loadThread.run({ ...load, requestIdPrefix: `gw-${mode}-warm-`, lanes: GW_REPORTERS, durationMs: GW_WARMUP_MS }));
    const pid = (p: { pid?: number }) => (p.pid ? [p.pid] : []);
    const processes = {
      gateway: pid(gateway),
      ...Object.fromEntries(subgraphs.map((s) => [s.name, pid(s)])),
      // This process: the load thread, and the Billing app that funds the team and checks the ledger (idle meanwhile).
      'bench (load)': [process.pid],
    };
    const closed = `gateway, ${mode}`;
    const figures = [
      await measured(db, async () => figuresOf(closed, await loadThread.run({ ...load, requestIdPrefix: `gw-${mode}-closed-`, lanes: GW_REPORTERS, durationMs: GW_SECONDS * 1000 })), false, processes),
    ];
    if (mode === 'batched') {
      const run = { ...load, requestIdPrefix: `gw-${mode}-open-`, requestsPerSecond: GW_RATE / GW_EVENTS, durationMs: GW_RATE_SECONDS * 1000 };
      const fixed = `  at ${GW_RATE}/s fixed rate`;
      figures.push(await measured(db, async () => figuresOf(fixed, await loadThread.run(run)), true, processes));
    }
    await verify(services, teamId, figures[0].label);
    return figures;
  } finally {
    await loadThread.close();
    await gateway?.stop();
    await Promise.all(subgraphs.map((s) => s.stop()));
    await billing.stop();
  }
}

function print(rows: Figures[]): void {
  const lines = [
    `one hot team; ${SECONDS}s per service-layer run, ${GW_SECONDS}s per closed-loop and ${GW_RATE_SECONDS}s per fixed-rate gateway run; service layer: ${REPORTERS} reporters × ${EVENTS} events/call; gateway: ${GW_REPORTERS} reporters × ${GW_EVENTS} events/request, gateway and subgraphs in their own processes`,
    'closed loop = saturation throughput (latency there is lanes ÷ throughput); fixed rate = ack latency at the target load',
    'WAL B/event = WAL the cluster wrote during the run (billing, its relay, Audit\'s consumers), per event',
    `commit p99/max = a one-row durable commit on its own connection every ${COMMIT_PROBE_MS} ms during the run: the floor under an ack that waits for a commit`,
    'run                              events/s   calls   p50 ack ms   p99 ack ms   errors   WAL B/event   commit p99/max ms',
    ...rows.map(
      (r) =>
        `${r.label.padEnd(32)} ${Math.round(r.events / r.seconds).toString().padStart(8)} ${String(r.calls).padStart(7)} ${r.p50.toFixed(1).padStart(12)} ${r.p99.toFixed(1).padStart(12)} ${String(r.errors).padStart(8)} ${(r.walPerEvent === undefined ? '' : Math.round(r.walPerEvent).toString()).padStart(13)} ${(r.commitP99 === undefined ? '' : `${r.commitP99.toFixed(1)}/${r.commitMax!.toFixed(1)}`).padStart(19)}`,
    ),
  ];
  for (const r of rows.filter((x) => x.commitP99 !== undefined)) {
    const stolen = r.stolen === undefined ? '' : ` · CPU stolen by the hypervisor meanwhile ${(r.stolen * 100).toFixed(1)}%`;
    lines.push(`ack tail, ${r.label.trim()}: p90 ${r.p90.toFixed(1)} · p95 ${r.p95.toFixed(1)} · p99 ${r.p99.toFixed(1)} · max ${r.max.toFixed(1)} ms · ${r.over50} of ${r.calls} over 50 ms${stolen}`);
  }
  for (const r of rows.filter((x) => x.cpuPerCall)) {
    const parts = Object.entries(r.cpuPerCall!);
    const total = parts.reduce((sum, [, ms]) => sum + ms, 0);
    lines.push(`CPU ms per request, ${r.label.trim()}: ${parts.map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(' · ')} · total ${total.toFixed(1)}`);
  }
  const rate = (label: string) => {
    const r = rows.find((x) => x.label === label);
    return r ? r.events / r.seconds : NaN;
  };
  // Ratios of runs measured side by side in this invocation; one whose runs were skipped is left out.
  const ratio = (a: string, b: string, digits: number) => {
    const r = rate(a) / rate(b);
    return Number.isFinite(r) ? `${r.toFixed(digits)}x` : undefined;
  };
  const naive = [
    ['service layer', ratio('service layer, batched', 'service layer, per-event', 1)],
    ['gateway', ratio('gateway, batched', 'gateway, per-event', 1)],
  ].filter(([, r]) => r);
  if (naive.length) lines.push(`batched/naive throughput: ${naive.map(([where, r]) => `${where} ${r}`).join(', ')}`);
  const capped = ratio('service layer, batched, capped', 'service layer, batched', 2);
  if (capped) lines.push(`capped/uncapped key throughput, service layer, batched: ${capped}`);
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<number> {
  let postgres: RunningPostgres | undefined;
  postgres = await embeddedPostgresUnlessConfigured('metering', progress);
  const rows: Figures[] = [];
  // Each run on a database of its own: the service-layer runs leave usage batches that no relay
  // published, and a later gateway run's relay and Audit would spend the machine on them.
  const onFreshDatabase = async (run: (db: TestDatabase) => Promise<Figures[]>) => {
    const db = await createTestDatabase();
    try {
      rows.push(...(await run(db)));
    } finally {
      await db.drop();
    }
  };
  try {
    for (const [mode, capped] of [['batched', false], ['batched', true], ['per-event', false]] as const) {
      if (ONLY === 'gateway' || (mode === 'per-event' && !NAIVE)) continue;
      progress(`service layer, ${mode}${capped ? ', capped key' : ''}`);
      await onFreshDatabase((db) => serviceLayer(db, mode, capped));
    }
    for (const mode of ['batched', 'per-event'] as const) {
      if (ONLY === 'service' || (mode === 'per-event' && !NAIVE)) continue;
      progress(`gateway, ${mode}`);
      await onFreshDatabase((db) => throughGateway(db, mode));
    }
  } finally {
    await postgres?.stop();
  }
  print(rows);
  return rows.some((r) => r.errors > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
