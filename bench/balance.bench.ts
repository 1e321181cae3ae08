/**
 * Live balance latency: from a debit's commit to a subscriber of `creditBalanceChanged`, through
 * the gateway over graphql-ws, at idle and under heavy metering.
 *
 *   npm run bench:balance -- [--samples 150] [--seconds 15] [--reporters 32] [--events 10] [--gap 150]
 *
 * A probe team has one subscriber. The probe records one usage event at a time through the
 * service layer and waits for the pushed balance that includes it: the latency is from the
 * moment recordUsage answered (the debit committed) to the push's arrival at the subscriber;
 * "from call" also counts the metering transaction itself. Probes are `gap` ms apart, more than
 * the 100 ms coalescing interval, so no probe waits for the previous push's interval.
 *
 * Idle: `samples` probes with nothing else running. Heavy: `reporters` closed-loop reporters
 * each sending `events` events per call to another (hot) team for `seconds`, while the probe
 * keeps measuring; a second subscriber watches the hot team itself, whose balance changes with
 * every batch and is coalesced: it gets at most 10 pushes a second, and the age of each pushed
 * balance (arrival minus the debit's transaction start) shows how stale the subscriber is.
 * Target: p99 commit → subscriber under 250 ms. Uses DATABASE_URL (or TEST_ADMIN_DATABASE_URL)
 * when set, else an embedded PostgreSQL.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import { Session } from '../subgraphs/kit/session';
import type { BillingServices } from '../subgraphs/billing/billing.context';
import type { UsageEvent } from '../subgraphs/billing/metering/usage-rules';
import type { RunningPostgres } from '../scripts/embedded-postgres';
import { embeddedPostgresUnlessConfigured } from './embedded-database';
import { CreditBalanceChangedDocument } from '../test/operations/generated';
import { registerApiKey } from '../test/support/billing-keys';
import { GraphClient } from '../test/support/client';
import { signUpUserWithTeam } from '../test/support/factories';
import { startGraph, type TestGraph } from '../test/support/graph';
import { numberArg } from './args';

const SAMPLES = numberArg('samples', 150);
const SECONDS = numberArg('seconds', 15);
const REPORTERS = numberArg('reporters', 32);
const EVENTS = numberArg('events', 10);
const GAP_MS = numberArg('gap', 150);
const reporter = new Session({ kind: 'service', service: 'usage-reporter' });
const progress = (m: string) => process.stderr.write(`[bench:balance] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

interface Push {
  at: number;
  wallAt: number;
  prepaid: bigint;
  updatedAt: number;
}

/** Subscribes to a team's live balance and keeps every push with its arrival time. */
function watch(ws: Client, teamId: string, pushes: Push[], onPush: () => void): () => void {
  return ws.subscribe<{ creditBalanceChanged: { prepaid: { ticks: string }; updatedAt: string } }>(
    { query: print(CreditBalanceChangedDocument), variables: { teamId } },
    {
      next: (r) => {
        const at = performance.now();
        const b = r.data?.creditBalanceChanged;
        if (!b) return progress(`push without data: ${JSON.stringify(r.errors)}`);
        pushes.push({ at, wallAt: Date.now(), prepaid: BigInt(b.prepaid.ticks), updatedAt: Date.parse(b.updatedAt) });
        onPush();
      },
      error: (err) => progress(`subscription failed: ${String((err as Error).message ?? err)}`),
      complete: () => undefined,
    },
  );
}

const usage = (apiKeyId: string): UsageEvent => ({
  requestId: randomUUID(),
  apiKeyId,
  model: 'grok-3-mini',
  promptTokens: 120,
  cachedPromptTokens: 20,
  completionTokens: 40,
  occurredAt: new Date(),
});

interface Probe {
  fromCommit: number[];
  fromCall: number[];
  missed: number;
}

/** One probe: a debit, then the first push whose balance is at or below the debited one. */
async function probeOnce(services: BillingServices, keyId: string, teamId: string, pushes: Push[], wake: { fn?: () => void }, probe: Probe): Promise<void> {
  const seen = pushes.length;
  const called = performance.now();
  const r = await services.metering.record(reporter, [usage(keyId)]);
  const committed = performance.now();
  if (r.accepted !== 1) throw new Error(`probe not accepted: ${JSON.stringify(r.rejected)}`);
  const [after] = await services.balances.balancesOf([teamId]);
  const deadline = committed + 5000;
  for (;;) {
    const push = pushes.slice(seen).find((p) => p.prepaid <= after.prepaidTicks);
    if (push) {
      probe.fromCommit.push(push.at - committed);
      probe.fromCall.push(push.at - called);
      return;
    }
    if (performance.now() > deadline) {
      probe.missed++;
      return;
    }
    await new Promise<void>((resolve) => {
      wake.fn = resolve;
      setTimeout(resolve, 50);
    });
  }
}

async function fundedTeamWithKey(graph: TestGraph, services: BillingServices, teamId: string): Promise<string> {
  await services.balances.post({ teamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: 10n ** 18n, actor: null });
  return registerApiKey(graph.apps.billing, teamId);
}

function line(label: string, values: number[], extra = ''): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${label.padEnd(44)} ${String(sorted.length).padStart(6)} ${pct(sorted, 50).toFixed(1).padStart(9)} ${pct(sorted, 99).toFixed(1).padStart(9)} ${(sorted[sorted.length - 1] ?? NaN).toFixed(1).padStart(9)}${extra}`;
}

async function main(): Promise<number> {
  process.env.NODE_ENV ??= 'test';
  let postgres: RunningPostgres | undefined;
  postgres = await embeddedPostgresUnlessConfigured('balance', progress);
  const graph = await startGraph();
  const sockets: Client[] = [];
  try {
    const anonymous = new GraphClient(graph.url);
    const [watcher, hotWatcher] = await Promise.all([signUpUserWithTeam(anonymous), signUpUserWithTeam(anonymous)]);
    const services = graph.apps.billing.services as BillingServices;
    const probeTeam = watcher.personalTeamId;
    const hotTeam = hotWatcher.personalTeamId;
    const probeKey = await fundedTeamWithKey(graph, services, probeTeam);
    const hotKey = await fundedTeamWithKey(graph, services, hotTeam);

    const probePushes: Push[] = [];
    const wake: { fn?: () => void } = {};
    const ws = watcher.client.ws();
    sockets.push(ws);
    watch(ws, probeTeam, probePushes, () => wake.fn?.());
    const hotPushes: Push[] = [];
    const hotWs = hotWatcher.client.ws();
    sockets.push(hotWs);
    watch(hotWs, hotTeam, hotPushes, () => undefined);
    await sleep(500); // both subscriptions established

    progress('warm-up');
    const warm: Probe = { fromCommit: [], fromCall: [], missed: 0 };
    for (let i = 0; i < 10; i++) {
      await probeOnce(services, probeKey, probeTeam, probePushes, wake, warm);
      await sleep(GAP_MS);
    }
    if (warm.missed) throw new Error('the subscriber receives no balance pushes');

    progress(`idle: ${SAMPLES} probes`);
    const idle: Probe = { fromCommit: [], fromCall: [], missed: 0 };
    for (let i = 0; i < SAMPLES; i++) {
      await probeOnce(services, probeKey, probeTeam, probePushes, wake, idle);
      await sleep(GAP_MS);
    }

    progress(`heavy metering: ${REPORTERS} reporters × ${EVENTS} events on another team for ${SECONDS}s, probing meanwhile`);
    const heavy: Probe = { fromCommit: [], fromCall: [], missed: 0 };
    let loadEvents = 0;
    let loadErrors = 0;
    const loadStart = performance.now();
    const until = loadStart + SECONDS * 1000;
    const hotFrom = hotPushes.length;
    const load = Promise.all(
      Array.from({ length: REPORTERS }, async () => {
        while (performance.now() < until) {
          try {
            const r = await services.metering.record(reporter, Array.from({ length: EVENTS }, () => usage(hotKey)));
            loadEvents += r.accepted;
            if (r.rejected.length && loadErrors++ === 0) progress(`load: rejected ${r.rejected[0].code}: ${r.rejected[0].message}`);
          } catch (err) {
            if (loadErrors++ === 0) progress(`load: ${(err as Error).message}`);
          }
        }
      }),
    );
    await sleep(500); // load running
    while (performance.now() < until - GAP_MS) {
      await probeOnce(services, probeKey, probeTeam, probePushes, wake, heavy);
      await sleep(GAP_MS);
    }
    await load;
    const loadSeconds = (performance.now() - loadStart) / 1000;
    await sleep(500); // the last coalesced push
    const hot = hotPushes.slice(hotFrom);
    const intervals = hot.slice(1).map((p, i) => p.at - hot[i].at);
    const ages = hot.map((p) => p.wallAt - p.updatedAt);
    const [hotFinal] = await services.balances.balancesOf([hotTeam]);
    const hotCaughtUp = hot.length > 0 && hot[hot.length - 1].prepaid === hotFinal.prepaidTicks;

    const lines = [
      `creditBalanceChanged through the gateway over graphql-ws; probes ${GAP_MS} ms apart; heavy = ${REPORTERS} reporters × ${EVENTS} events/call on another team`,
      `${'measure (ms)'.padEnd(44)} ${'n'.padStart(6)} ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'max'.padStart(9)}`,
      line('idle: commit → subscriber', idle.fromCommit),
      line('idle: call → subscriber', idle.fromCall),
      line('heavy metering: commit → subscriber', heavy.fromCommit),
      line('heavy metering: call → subscriber', heavy.fromCall),
      line('hot team: interval between pushes', intervals),
      line('hot team: age of pushed balance', ages),
      `heavy load: ${Math.round(loadEvents / loadSeconds)} events/s on the hot team, ${loadErrors} errors; hot team pushes: ${(hot.length / loadSeconds).toFixed(1)}/s, last push = final balance: ${hotCaughtUp}`,
      `probes without a push within 5 s: idle ${idle.missed}, heavy ${heavy.missed}; target p99 commit → subscriber < 250 ms`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return idle.missed + heavy.missed + loadErrors > 0 || !hotCaughtUp ? 1 : 0;
  } finally {
    for (const s of sockets) await s.dispose();
    await graph.stop();
    await postgres?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
