/**
 * `npm run bench:gateway`: what the gateway costs. The same query goes straight to the Team
 * subgraph (carrying a pre-signed assertion, as if the gateway had already done its part) and
 * through the gateway (carrying a bearer token, as a real client does, so each request pays for
 * session and membership resolution, planning and the hop to the subgraph). Both are measured
 * in alternating rounds of one run so that machine noise falls on both alike.
 *
 * Options: --seconds (measured seconds per mode, default 20), --rounds (default 5),
 * --concurrency (in-flight requests, default 16), --warmup (seconds per mode, default 2).
 * Uses DATABASE_URL (or TEST_ADMIN_DATABASE_URL) when set, else an embedded PostgreSQL.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PrincipalResolver } from '../gateway/principal-resolver';
import type { RunningPostgres } from '../scripts/embedded-postgres';
import { embeddedPostgresUnlessConfigured } from './embedded-database';
import { ASSERTION_HEADER, signAssertion, type Principal } from '../subgraphs/kit/auth';
import { subgraphNames, type SubgraphName } from '../subgraphs/kit/config';
import { eventually } from '../test/support/eventually';
import { startGraph, type TestGraph } from '../test/support/graph';
import { checkResponse, LoadThread, percentile, post, type LoadResult, type LoadRun, type LoadTarget } from './load';

type Mode = 'direct' | 'gateway';
const MODES: readonly Mode[] = ['direct', 'gateway'];

const QUERY = 'query BenchTeam($id: ID!) { team(id: $id) { id name isPersonal } }';

interface Options {
  seconds: number;
  rounds: number;
  concurrency: number;
  warmup: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '16' },
      warmup: { type: 'string', default: '2' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench:gateway -- [--seconds 20] [--rounds 5] [--concurrency 16] [--warmup 2]\n');
    process.exit(0);
  }
  const number = (name: keyof Options, integer: boolean, min: number): number => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${values[name]}`);
    }
    return value;
  };
  return {
    seconds: number('seconds', false, 0.1),
    rounds: number('rounds', true, 1),
    concurrency: number('concurrency', true, 1),
    warmup: number('warmup', false, 0),
  };
}

const t0 = performance.now();
function progress(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };

/**
 * A new user, signed up through the gateway, with the token and the principal the gateway
 * asserts for it. Asks only for the token and the user id, so that rules on other user fields
 * cannot break the bench.
 */
async function signUpBenchUser(graph: TestGraph): Promise<{ token: string; principal: Principal & { kind: 'user' }; teamId: string }> {
  const email = `bench.${randomBytes(6).toString('hex')}@example.com`;
  const { status, text } = await post({
    url: graph.url,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      query: 'mutation BenchSignUp($input: SignUpInput!) { signUp(input: $input) { __typename ... on AuthSession { token user { id } } } }',
      variables: { input: { email, password: randomBytes(12).toString('base64url') } },
    }),
  });
  let result: { data?: { signUp?: { token?: string; user?: { id: string } } }; errors?: unknown[] } = {};
  try {
    result = JSON.parse(text) as typeof result;
  } catch {
    // reported below, with the body
  }
  const signUp = result.data?.signUp;
  if (status !== 200 || result.errors?.length || !signUp?.token || !signUp.user) throw new Error(`signUp failed (HTTP ${status}): ${text.slice(0, 500)}`);
  const token = signUp.token;
  const userId = signUp.user.id;

  // The Personal Team is created from the sign-up event; the user is its only Admin, and it is
  // their only team. Resolving it as the gateway does also yields the principal to sign for
  // direct calls, so both paths ask as the same caller.
  const subgraphUrls = Object.fromEntries(subgraphNames.map((n) => [n, graph.apps[n].url])) as Record<SubgraphName, string>;
  const resolver = new PrincipalResolver(subgraphUrls, graph.secret);
  return eventually(async () => {
    const principal = await resolver.resolve(token);
    if (principal.kind !== 'user' || principal.userId !== userId) throw new Error(`unexpected principal ${JSON.stringify(principal)}`);
    const [membership, ...others] = principal.memberships;
    if (!membership || others.length || membership.role !== 'ADMIN') throw new Error(`Personal Team not ready: ${JSON.stringify(principal.memberships)}`);
    return { token, principal, teamId: membership.teamId };
  });
}

/** The two ways of asking for the bench user's Personal Team. */
async function prepareTargets(graph: TestGraph, ttlMs: number): Promise<Record<Mode, LoadTarget>> {
  const { token, principal, teamId } = await signUpBenchUser(graph);
  // Signed once for the whole run: a direct caller presents a ready-made assertion, so the
  // direct figures are the subgraph's own cost and nothing else.
  const assertion = signAssertion({ principal, requestId: 'bench-direct' }, graph.secret, ttlMs);
  const body = JSON.stringify({ query: QUERY, variables: { id: teamId }, operationName: 'BenchTeam' });
  const targets: Record<Mode, LoadTarget> = {
    direct: { url: graph.apps.team.url, headers: { ...JSON_HEADERS, [ASSERTION_HEADER]: assertion }, body, expectedData: undefined },
    gateway: { url: graph.url, headers: { ...JSON_HEADERS, authorization: `Bearer ${token}` }, body, expectedData: undefined },
  };
  // Both paths must give this same, non-empty answer, and so must every response of the run.
  const expectedData = { team: { id: teamId, name: 'Personal Team', isPersonal: true } };
  for (const mode of MODES) {
    const { status, text } = await post(targets[mode]);
    const problem = checkResponse(status, text, expectedData);
    if (problem) throw new Error(`${mode} probe failed: ${problem}`);
    targets[mode].expectedData = expectedData;
  }
  return targets;
}

interface Totals {
  requests: number;
  errors: number;
  elapsedMs: number;
  latencies: Float64Array[];
  firstError?: string;
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const row = (cells: (string | number)[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');

function report(options: Options, totals: Record<Mode, Totals>, rounds: Record<Mode, number>[]): void {
  const lines: string[] = [];
  const stats = {} as Record<Mode, { rps: number; p50: number; p99: number }>;
  for (const mode of MODES) {
    const t = totals[mode];
    const all = new Float64Array(t.latencies.reduce((n, l) => n + l.length, 0));
    let at = 0;
    for (const l of t.latencies) {
      all.set(l, at);
      at += l.length;
    }
    all.sort();
    stats[mode] = { rps: t.requests / (t.elapsedMs / 1000), p50: percentile(all, 50), p99: percentile(all, 99) };
  }

  lines.push('');
  lines.push(`query: ${QUERY}`);
  lines.push(
    `concurrency ${options.concurrency}, ${options.rounds} round(s) of ${fmt(options.seconds / options.rounds, 1)} s per mode ` +
      `(${fmt(options.seconds, 1)} s measured per mode), warm-up ${fmt(options.warmup, 1)} s per mode; ` +
      `node ${process.version}, ${availableParallelism()} CPU(s)`,
  );
  lines.push('');
  const rw = [6, 13, 14, 14];
  lines.push(row(['round', 'direct req/s', 'gateway req/s', 'gateway/direct'], rw));
  rounds.forEach((r, i) => lines.push(row([i + 1, fmt(r.direct, 0), fmt(r.gateway, 0), fmt(r.gateway / r.direct)], rw)));
  lines.push('');
  const mw = [8, 9, 9, 8, 8, 7];
  lines.push(row(['mode', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors'], mw));
  for (const mode of MODES) {
    const s = stats[mode];
    lines.push(row([mode, totals[mode].requests, fmt(s.rps, 0), fmt(s.p50), fmt(s.p99), totals[mode].errors], mw));
  }
  const perRound = rounds.map((r) => r.gateway / r.direct);
  lines.push('');
  lines.push(
    `gateway/direct throughput ratio: ${fmt(stats.gateway.rps / stats.direct.rps)} ` +
      `(per round ${fmt(Math.min(...perRound))}–${fmt(Math.max(...perRound))})`,
  );
  lines.push(`gateway/direct p50 latency ratio: ${fmt(stats.gateway.p50 / stats.direct.p50)}`);
  lines.push(`gateway/direct p99 latency ratio: ${fmt(stats.gateway.p99 / stats.direct.p99)}`);
  const log = graph?.gateway.operationLog as { published: number; writes?: number } | undefined;
  // Group commit: how many operation records share one bus write (older builds do not count writes).
  if (log) lines.push(`operation log: ${log.published} records published${log.writes ? ` in ${log.writes} bus writes (${fmt(log.published / log.writes, 1)} per write)` : ''}`);
  process.stdout.write(lines.join('\n') + '\n');
}

let graph: TestGraph | undefined;
let postgres: RunningPostgres | undefined;
let load: LoadThread<LoadRun, LoadResult> | undefined;
let stopping: Promise<void> | undefined;

/** Client first, then the graph, then the database: each still has what it needs while it stops. */
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    await load?.close().catch((err) => progress(`load worker stop failed: ${err}`));
    if (graph) {
      progress('stopping the graph');
      await graph.stop().catch((err) => progress(`graph stop failed: ${err}`));
    }
    if (postgres) {
      progress('stopping embedded PostgreSQL');
      await postgres.stop().catch((err) => progress(`PostgreSQL stop failed: ${err}`));
    }
  })();
  return stopping;
}

async function main(): Promise<number> {
  const options = parseOptions();
  // The graph runs in the test harness, as under jest (which sets this). Without it each Apollo
  // Server installs SIGINT/SIGTERM handlers that re-raise the signal and kill the process
  // before the bench can drop its database and stop an embedded PostgreSQL.
  process.env.NODE_ENV ??= 'test';
  // However the run ends, the graph's database must be dropped and an embedded server stopped.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping`);
      void stopAll().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  // A closed pipe (e.g. output piped into `head`) must not kill the run before it cleans up.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

  postgres = await embeddedPostgresUnlessConfigured('gateway', progress);
  progress('starting the four subgraphs and the gateway');
  // As in production, the gateway records every operation in the audit log: its cost is part of the gateway's.
  graph = await startGraph({ operationLog: true });
  progress('signing up the bench user');
  const runMs = (2 * (options.seconds + options.warmup) + 600) * 1000;
  const targets = await prepareTargets(graph, runMs);
  load = new LoadThread<LoadRun, LoadResult>(join(__dirname, 'load-worker.ts'));

  const totals = Object.fromEntries(MODES.map((m) => [m, { requests: 0, errors: 0, elapsedMs: 0, latencies: [] } as Totals])) as Record<Mode, Totals>;
  const note = (mode: Mode, result: LoadResult) => {
    totals[mode].errors += result.errors;
    totals[mode].firstError ??= result.firstError;
  };

  if (options.warmup > 0) {
    for (const mode of MODES) {
      progress(`warming up ${mode}`);
      // Counted for errors only: a broken path must fail the bench even if it breaks early.
      note(mode, await load.run({ target: targets[mode], concurrency: options.concurrency, durationMs: options.warmup * 1000 }));
    }
  }

  const roundMs = (options.seconds * 1000) / options.rounds;
  const rounds: Record<Mode, number>[] = [];
  for (let i = 0; i < options.rounds; i++) {
    // ABBA order, so neither mode always runs on the heels of the other.
    const order: readonly Mode[] = i % 2 === 0 ? MODES : [...MODES].reverse();
    const perRound = {} as Record<Mode, number>;
    for (const mode of order) {
      const result = await load.run({ target: targets[mode], concurrency: options.concurrency, durationMs: roundMs });
      note(mode, result);
      totals[mode].requests += result.requests;
      totals[mode].elapsedMs += result.elapsedMs;
      totals[mode].latencies.push(result.latencies);
      perRound[mode] = result.requests / (result.elapsedMs / 1000);
    }
    rounds.push(perRound);
    progress(`round ${i + 1}/${options.rounds}: direct ${fmt(perRound.direct, 0)} req/s, gateway ${fmt(perRound.gateway, 0)} req/s`);
  }

  report(options, totals, rounds);
  let failed = false;
  for (const mode of MODES) {
    if (totals[mode].errors > 0) {
      failed = true;
      process.stderr.write(`FAIL: ${totals[mode].errors} ${mode} response(s) were errors; first: ${totals[mode].firstError}\n`);
    }
  }
  return failed ? 1 : 0;
}

main().then(
  async (code) => {
    await stopAll();
    // Stray keep-alive sockets or timers must not keep a finished bench alive.
    process.exit(code);
  },
  async (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    await stopAll();
    process.exit(1);
  },
);
