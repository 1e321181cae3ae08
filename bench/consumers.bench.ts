/**
 * How fast a subgraph's consumer applies a backlog of events, side by side: one transaction for
 * the events read together (what the PostgreSQL bus does) against one transaction per event.
 *
 *   npm run bench:consumers -- [--events 5000] [--rounds 2]
 *
 * `events` events are published first; a fresh consumer group then applies them, each event
 * writing one row in the consumer's transaction, as Audit's consumers do. Measured from the
 * consumer's start until every effect is committed. Rounds alternate the two designs.
 * Uses DATABASE_URL (or TEST_ADMIN_DATABASE_URL) when set, else an embedded PostgreSQL.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ConsumerRunner, type EventConsumer } from '../subgraphs/kit/events/consumer';
import { createEvent, type DomainEvent, type EventBus } from '../subgraphs/kit/events';
import { teamSubgraph } from '../subgraphs/team/team.subgraph';
import { createTestDatabase } from '../test/support/database';
import { startSubgraph } from '../test/support/graph';
import { embeddedPostgresUnlessConfigured } from './embedded-database';
import { numberArg } from './args';

const EVENTS = numberArg('events', 5000);
const ROUNDS = numberArg('rounds', 2);
const TYPE = 'bench.consumed';
const progress = (m: string) => process.stderr.write(`[bench:consumers] ${m}\n`);

/** The same bus, offering only per-event delivery. */
const perEventOnly = (bus: EventBus): EventBus => ({
  kind: bus.kind,
  publish: (events) => bus.publish(events),
  subscribe: (group, handler, filter) => bus.subscribe(group, handler, filter),
  close: () => bus.close(),
});

async function main(): Promise<void> {
  const postgres = await embeddedPostgresUnlessConfigured('consumers', progress);
  const db = await createTestDatabase();
  const team = await startSubgraph(teamSubgraph, { db, app: { consumers: false, relay: false } });
  const rows: { design: string; seconds: number; perSecond: number }[] = [];
  try {
    for (let round = 0; round < ROUNDS * 2; round++) {
      const design = round % 2 === 0 ? 'one transaction per batch' : 'one transaction per event';
      const name = `bench-${randomUUID()}`;
      const consumer: EventConsumer = {
        name,
        types: [TYPE],
        handles: (e: DomainEvent) => e.type === TYPE && e.payload.for === name,
        apply: async (e: DomainEvent, tx) => {
          await tx.query(`INSERT INTO team.processed_events (consumer, event_id) VALUES ($1, $2)`, [`${name}:effect`, e.id]);
        },
      };
      for (let i = 0; i < EVENTS; i += 500) {
        const chunk = Array.from({ length: Math.min(500, EVENTS - i) }, () => createEvent('bench', { type: TYPE, aggregateId: 'bench', teamId: null, actor: null, payload: { for: name } }) as DomainEvent);
        await team.app.bus.publish(chunk);
      }
      const bus = design === 'one transaction per batch' ? team.app.bus : perEventOnly(team.app.bus);
      const runner = new ConsumerRunner(team.app.infra.dataSource, 'team', bus, team.app.logger);
      progress(`${design}: applying ${EVENTS} events`);
      const started = performance.now();
      await runner.start([consumer]);
      for (;;) {
        const [{ n }] = await team.app.infra.dataSource.query(`SELECT count(*)::int AS n FROM team.processed_events WHERE consumer = $1`, [`${name}:effect`]);
        if (n >= EVENTS) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const seconds = (performance.now() - started) / 1000;
      await runner.stop();
      rows.push({ design, seconds, perSecond: EVENTS / seconds });
    }
  } finally {
    await team.stop();
    await db.drop();
    await postgres?.stop();
  }
  const best = (design: string) => Math.max(...rows.filter((r) => r.design === design).map((r) => r.perSecond));
  process.stdout.write(
    [
      `a backlog of ${EVENTS} events, one row written per event, ${ROUNDS} rounds of each design (alternating)`,
      'design                         seconds   events/s',
      ...rows.map((r) => `${r.design.padEnd(30)} ${r.seconds.toFixed(2).padStart(7)} ${Math.round(r.perSecond).toString().padStart(10)}`),
      `batched/per-event (best of each): ${(best('one transaction per batch') / best('one transaction per event')).toFixed(1)}x`,
    ].join('\n') + '\n',
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
