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

function recordingConsumer(name: string, failUntilAttempt = 0) {
  let attempts = 0;
  const consumer: EventConsumer & { attempts: () => number } = {
    name,
    // A new consumer group reads the log from the start, so each test's consumer picks out its own events.
    handles: (e: DomainEvent) => e.type === 'test.poke' && e.payload.for === name,
    apply: async (e: DomainEvent, tx) => {
      attempts++;
      if (attempts <= failUntilAttempt) throw new Error(`poisoned ${e.id}`);
      await tx.query(`INSERT INTO team.processed_events (consumer, event_id) VALUES ($1, $2)`, [`${name}:effect`, e.id]);
    },
    attempts: () => attempts,
  };
  return consumer;
}

const effects = async (name: string) =>
  (await team.app.infra.dataSource.query(`SELECT event_id FROM team.processed_events WHERE consumer = $1`, [`${name}:effect`])).map((r: { event_id: string }) => r.event_id);

describe('consumer runner', () => {
  it('retries a failing event with backoff and applies it once it succeeds', async () => {
    const runner = new ConsumerRunner(team.app.infra.dataSource, 'team', team.app.bus, team.app.logger, { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 50 });
    const consumer = recordingConsumer(`retry-${randomUUID()}`, 2);
    await runner.start([consumer]);
    const event = createEvent('test', { type: 'test.poke', aggregateId: 'a', teamId: null, actor: null, payload: { for: consumer.name } }) as DomainEvent;
    await team.app.bus.publish([event]);
    await eventually(async () => expect(await effects(consumer.name)).toEqual([event.id]));
    expect(consumer.attempts()).toBe(3);
    await runner.stop();
  });

  it('parks an event that keeps failing as a dead letter, moves on, and can replay it', async () => {
    const runner = new ConsumerRunner(team.app.infra.dataSource, 'team', team.app.bus, team.app.logger, { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 });
    const consumer = recordingConsumer(`poison-${randomUUID()}`, 3);
    await runner.start([consumer]);
    const poison = createEvent('test', { type: 'test.poke', aggregateId: 'p', teamId: null, actor: null, payload: { for: consumer.name } }) as DomainEvent;
    const healthy = createEvent('test', { type: 'test.poke', aggregateId: 'p', teamId: null, actor: null, payload: { for: consumer.name } }) as DomainEvent;
    await team.app.bus.publish([poison, healthy]);
    await eventually(async () => expect(await effects(consumer.name)).toEqual([healthy.id]));
    const letters = (await runner.listDeadLetters()).filter((l) => l.consumer === consumer.name);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ eventId: poison.id, attempts: 3, error: `poisoned ${poison.id}` });

    await runner.replayDeadLetter(letters[0].id, [consumer]);
    expect((await effects(consumer.name)).sort()).toEqual([healthy.id, poison.id].sort());
    expect((await runner.listDeadLetters()).filter((l) => l.consumer === consumer.name)).toHaveLength(0);
    await runner.stop();
  });
});
