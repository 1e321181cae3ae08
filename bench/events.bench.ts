/**
 * Publish-to-consume latency of the event bus at a steady rate, for both buses in one run.
 *
 *   npm run bench:events -- [--rate 1000] [--seconds 10] [--batch 10]
 *
 * A publisher sends `rate` events per second in batches (as a relay does) for `seconds`; one
 * consumer group receives them. Latency is measured from the publish call to the handler.
 * Uses DATABASE_URL (or an embedded PostgreSQL) and NATS_URL (default nats://127.0.0.1:4222;
 * skipped with a note when unreachable).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { createLogger } from '../subgraphs/kit/logger';
import { createEvent, type DomainEvent, type EventBus } from '../subgraphs/kit/events';
import { NatsEventBus } from '../subgraphs/kit/events/nats-bus';
import { PostgresEventBus } from '../subgraphs/kit/events/postgres-bus';
import { startEmbeddedPostgres, type RunningPostgres } from '../scripts/embedded-postgres';
import { numberArg } from './args';

const RATE = numberArg('rate', 1000);
const SECONDS = numberArg('seconds', 10);
const BATCH = numberArg('batch', 10);
const WARMUP_SECONDS = 2;
const logger = createLogger('bench', 'silent');

interface Result {
  bus: string;
  sent: number;
  received: number;
  p50: number;
  p99: number;
  max: number;
  rate: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(name: string, publisher: EventBus, consumer: EventBus): Promise<Result> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  let measuring = false;
  await consumer.subscribe(`bench-${randomUUID()}`, async ({ event }) => {
    const start = sentAt.get(event.id);
    received++;
    if (start !== undefined && measuring) latencies.push(performance.now() - start);
    sentAt.delete(event.id);
  });

  const tickMs = (1000 * BATCH) / RATE;
  const run = async (seconds: number) => {
    const total = Math.round((seconds * RATE) / BATCH);
    const begin = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let tick = 0; tick < total; tick++) {
      const due = begin + tick * tickMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const batch = Array.from({ length: BATCH }, (_, i) =>
        createEvent('bench', { type: 'bench.tick', aggregateId: `team-${(tick * BATCH + i) % 50}`, teamId: null, actor: null, payload: { tick } }) as DomainEvent,
      );
      const now = performance.now();
      for (const e of batch) sentAt.set(e.id, now);
      inFlight.push(publisher.publish(batch));
    }
    await Promise.all(inFlight);
    return total * BATCH;
  };

  await run(WARMUP_SECONDS);
  measuring = true;
  received = 0;
  const started = performance.now();
  const sent = await run(SECONDS);
  const deadline = performance.now() + 30_000;
  while (latencies.length < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const elapsed = (performance.now() - started) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  return { bus: name, sent, received: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, rate: sorted.length / elapsed };
}

async function natsReachable(url: string): Promise<boolean> {
  const bus = new NatsEventBus(url, logger, { stream: 'BENCH_PROBE' });
  try {
    await Promise.race([bus.deleteStream(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000))]);
    return true;
  } catch {
    return false;
  } finally {
    await bus.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  let embedded: RunningPostgres | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres({ dir: join(__dirname, '..', '.data', `bench-events-${process.pid}`), ephemeral: true });
    adminUrl = embedded.url();
  }
  const dbName = `bench_events_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const results: Result[] = [];
  try {
    const pgPublisher = new PostgresEventBus(url.toString(), logger);
    const pgConsumer = new PostgresEventBus(url.toString(), logger);
    results.push(await measure('postgres', pgPublisher, pgConsumer));
    await pgConsumer.close();
    await pgPublisher.close();

    const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
    if (await natsReachable(natsUrl)) {
      const stream = `BENCH_${process.pid}`;
      const natsPublisher = new NatsEventBus(natsUrl, logger, { stream });
      const natsConsumer = new NatsEventBus(natsUrl, logger, { stream });
      results.push(await measure('nats', natsPublisher, natsConsumer));
      await natsConsumer.close();
      await natsPublisher.deleteStream();
      await natsPublisher.close();
    } else {
      console.log(`NATS at ${natsUrl} is not reachable: measuring PostgreSQL only.`);
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    await embedded?.stop();
  }

  console.log(`\nevent bus: ${RATE} events/s for ${SECONDS}s in batches of ${BATCH} (after ${WARMUP_SECONDS}s warm-up)\n`);
  console.log('bus       sent    received  delivered/s  p50 ms  p99 ms  max ms');
  for (const r of results) {
    console.log(
      `${r.bus.padEnd(9)} ${String(r.sent).padStart(6)}  ${String(r.received).padStart(8)}  ${r.rate.toFixed(0).padStart(11)}  ${r.p50.toFixed(1).padStart(6)}  ${r.p99.toFixed(1).padStart(6)}  ${r.max.toFixed(1).padStart(6)}`,
    );
  }
  if (results.some((r) => r.received < r.sent)) {
    console.error('\nSome events were not delivered within 30 s.');
    process.exit(1);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
