import { randomUUID } from 'node:crypto';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import { eventually } from '../../../test/support/eventually';
import { teamSubgraph } from '../../team/team.subgraph';
import type { TeamServices } from '../../team/team.context';
import { ConsumerRunner } from './consumer';
import type { EventConsumer } from './consumer';
import { createEvent, type DomainEvent } from './event';

let team: StartedSubgraph<TeamServices>;

beforeAll(async () => {
  team = await startSubgraph(teamSubgraph, { app: { consumers: false } });
});

afterAll(async () => {
  await team?.stop();
});

/** Records each event it applies as an effect row; `fails` decides which tries throw (attempts count per event). */
function recordingConsumer(name: string, fails: (event: DomainEvent, attempt: number) => boolean = () => false) {
  const attempts = new Map<string, number>();
  const consumer: EventConsumer & { attempts: () => number } = {
    name,
    // A new consumer group reads the log from the start, so each test's consumer picks out its own events.
    handles: (e: DomainEvent) => e.type === 'test.poke' && e.payload.for === name,
    apply: async (e: DomainEvent, tx) => {
      const attempt = (attempts.get(e.id) ?? 0) + 1;
      attempts.set(e.id, attempt);
      if (fails(e, attempt)) throw new Error(`poisoned ${e.id}`);
      await tx.query(`INSERT INTO team.processed_events (consumer, event_id) VALUES ($1, $2)`, [`${name}:effect`, e.id]);
    },
    attempts: () => [...attempts.values()].reduce((a, b) => a + b, 0),
  };
  return consumer;
}

const poke = (consumer: EventConsumer, aggregateId = 'a') =>
  createEvent('test', { type: 'test.poke', aggregateId, teamId: null, actor: null, payload: { for: consumer.name } }) as DomainEvent;

const effects = async (name: string) =>
  (await team.app.infra.dataSource.query(`SELECT event_id FROM team.processed_events WHERE consumer = $1`, [`${name}:effect`])).map((r: { event_id: string }) => r.event_id);

describe('consumer runner', () => {
  it('retries a failing event with backoff and applies it once it succeeds', async () => {
    const runner = new ConsumerRunner(team.app.infra.dataSource, 'team', team.app.bus, team.app.logger, { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 50 });
    const consumer = recordingConsumer(`retry-${randomUUID()}`, (_, attempt) => attempt <= 2);
    await runner.start([consumer]);
    const event = poke(consumer);
    await team.app.bus.publish([event]);
    await eventually(async () => expect(await effects(consumer.name)).toEqual([event.id]));
    expect(consumer.attempts()).toBe(3);
    await runner.stop();
  });

  it('parks an event that keeps failing as a dead letter, moves on, and can replay it', async () => {
    const runner = new ConsumerRunner(team.app.infra.dataSource, 'team', team.app.bus, team.app.logger, { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 });
    let poison: DomainEvent | undefined;
    let fixed = false;
    const consumer = recordingConsumer(`poison-${randomUUID()}`, (e) => e.id === poison?.id && !fixed);
    await runner.start([consumer]);
    poison = poke(consumer, 'p');
    const healthy = poke(consumer, 'p');
    await team.app.bus.publish([poison, healthy]);
    await eventually(async () => expect(await effects(consumer.name)).toEqual([healthy.id]));
    const letters = (await runner.listDeadLetters()).filter((l) => l.consumer === consumer.name);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ eventId: poison.id, attempts: 3, error: `poisoned ${poison.id}` });

    fixed = true;
    await runner.replayDeadLetter(letters[0].id, [consumer]);
    expect((await effects(consumer.name)).sort()).toEqual([healthy.id, poison.id].sort());
    expect((await runner.listDeadLetters()).filter((l) => l.consumer === consumer.name)).toHaveLength(0);
    await runner.stop();
  });

  it('applies the events read together in one transaction, not one per event', async () => {
    const runner = new ConsumerRunner(team.app.infra.dataSource, 'team', team.app.bus, team.app.logger);
    const consumer = recordingConsumer(`burst-${randomUUID()}`);
    const events = Array.from({ length: 30 }, () => poke(consumer));
    await team.app.bus.publish(events);
    await runner.start([consumer]);
    await eventually(async () => expect((await effects(consumer.name)).sort()).toEqual(events.map((e) => e.id).sort()));
    // Rows written by one transaction share its xmin; one per event would give 30.
    const [{ transactions }] = await team.app.infra.dataSource.query(`SELECT count(DISTINCT xmin::text)::int AS transactions FROM team.processed_events WHERE consumer = $1`, [
      `${consumer.name}:effect`,
    ]);
    expect(transactions).toBeLessThanOrEqual(2);
    await runner.stop();
  });

  it('applies the rest of a batch once when one of its events keeps failing, and parks that one alone', async () => {
    const runner = new ConsumerRunner(team.app.infra.dataSource, 'team', team.app.bus, team.app.logger, { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 });
    let poison: DomainEvent | undefined;
    const consumer = recordingConsumer(`bad-batch-${randomUUID()}`, (e) => e.id === poison?.id);
    const [before, after] = [poke(consumer), poke(consumer)];
    poison = poke(consumer);
    await team.app.bus.publish([before, poison, after]);
    await runner.start([consumer]);
    await eventually(async () => expect((await runner.listDeadLetters()).filter((l) => l.consumer === consumer.name).map((l) => l.eventId)).toEqual([poison!.id]));
    expect((await effects(consumer.name)).sort()).toEqual([before.id, after.id].sort());
    await runner.stop();
  });

  it('applies an event handed over twice in one batch once', async () => {
    const runner = new ConsumerRunner(team.app.infra.dataSource, 'team', team.app.bus, team.app.logger);
    const consumer = recordingConsumer(`twice-${randomUUID()}`);
    const [e, f] = [poke(consumer), poke(consumer)];
    expect(await runner.applyAllOnce(consumer, [e, e, f])).toBe(2);
    expect(await runner.applyAllOnce(consumer, [f, e])).toBe(0);
    expect((await effects(consumer.name)).sort()).toEqual([e.id, f.id].sort());
  });
});
