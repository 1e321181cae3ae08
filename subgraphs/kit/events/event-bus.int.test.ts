import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { eventually } from '../../../test/support/eventually';
import { testEnv } from '../../../test/support/env';
import { createLogger } from '../logger';
import type { EventBus } from './bus';
import { createEvent, type DomainEvent } from './event';
import { NatsEventBus } from './nats-bus';
import { PostgresEventBus } from './postgres-bus';

const logger = createLogger('test', 'silent');

interface BusFactory {
  name: string;
  enabled: boolean;
  setup(): Promise<{ make: () => EventBus; teardown: () => Promise<void> }>;
}

const factories: BusFactory[] = [
  {
    name: 'PostgreSQL',
    enabled: true,
    async setup() {
      const db: TestDatabase = await createTestDatabase();
      return { make: () => new PostgresEventBus(db.url, logger, { pollMs: 200 }), teardown: () => db.drop() };
    },
  },
  {
    name: 'NATS JetStream',
    // Runs wherever NATS_URL is configured (CI always configures it).
    enabled: !!testEnv.natsUrl,
    async setup() {
      const stream = `TEST_${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
      const admin = new NatsEventBus(testEnv.natsUrl!, logger, { stream });
      return {
        make: () => new NatsEventBus(testEnv.natsUrl!, logger, { stream, ackWaitMs: 2000 }),
        teardown: async () => {
          await admin.deleteStream();
          await admin.close();
        },
      };
    },
  },
];

const event = (aggregateId: string, n: number): DomainEvent =>
  createEvent('test', { type: 'test.happened', aggregateId, teamId: null, actor: null, payload: { n } }) as DomainEvent;

describe.each(factories.filter((f) => f.enabled))('$name event bus', (factory) => {
  let env: Awaited<ReturnType<BusFactory['setup']>>;
  const buses: EventBus[] = [];
  const bus = () => {
    const b = env.make();
    buses.push(b);
    return b;
  };

  // A fresh log per test, so a new consumer group does not replay other tests' events.
  beforeEach(async () => {
    env = await factory.setup();
  });

  afterEach(async () => {
    for (const b of buses.splice(0)) await b.close();
    await env.teardown();
  });

  it('delivers every published event to a consumer group, in publication order', async () => {
    const publisher = bus();
    const received: DomainEvent[] = [];
    await bus().subscribe(`order-${randomUUID()}`, async ({ event: e }) => {
      received.push(e);
    });
    const sent = Array.from({ length: 50 }, (_, i) => event('agg-1', i));
    await publisher.publish(sent.slice(0, 20));
    await publisher.publish(sent.slice(20));
    await eventually(() => expect(received).toHaveLength(50));
    expect(received.map((e) => e.id)).toEqual(sent.map((e) => e.id));
  });

  it('drops a republished event id, so a relay retry cannot duplicate it', async () => {
    const publisher = bus();
    const received: string[] = [];
    const group = `dedupe-${randomUUID()}`;
    await bus().subscribe(group, async ({ event: e }) => {
      received.push(e.id);
    });
    const once = event('agg-2', 1);
    const marker = event('agg-2', 2);
    await publisher.publish([once]);
    await publisher.publish([once, marker]);
    await eventually(() => expect(received).toContain(marker.id));
    expect(received.filter((id) => id === once.id)).toHaveLength(1);
  });

  it('redelivers an event whose handler threw until it succeeds', async () => {
    const publisher = bus();
    let attempts = 0;
    const done: string[] = [];
    await bus().subscribe(`retry-${randomUUID()}`, async ({ event: e }) => {
      attempts++;
      if (attempts < 3) throw new Error('transient');
      done.push(e.id);
    });
    const e = event('agg-3', 1);
    await publisher.publish([e]);
    await eventually(() => expect(done).toEqual([e.id]), 15_000);
    expect(attempts).toBe(3);
  });

  it('gives each event to one member of a group when two replicas consume', async () => {
    const publisher = bus();
    const group = `replicas-${randomUUID()}`;
    const seen: string[] = [];
    await bus().subscribe(group, async ({ event: e }) => void seen.push(e.id));
    await bus().subscribe(group, async ({ event: e }) => void seen.push(e.id));
    const sent = Array.from({ length: 40 }, (_, i) => event(`agg-${i % 4}`, i));
    await publisher.publish(sent);
    await eventually(() => expect(new Set(seen).size).toBe(40));
    expect(seen).toHaveLength(40);
  });

  it('delivers a burst of 10,000 events across many teams completely and in order per team', async () => {
    const teams = Array.from({ length: 20 }, (_, i) => `team-${i}`);
    const received = new Map<string, number[]>();
    let count = 0;
    await bus().subscribe(`burst-${randomUUID()}`, async ({ event: e }) => {
      const list = received.get(e.aggregateId) ?? [];
      list.push((e.payload as { n: number }).n);
      received.set(e.aggregateId, list);
      count++;
    });
    // Four relays publishing concurrently, each owning five teams, 500 events per batch.
    await Promise.all(
      [0, 1, 2, 3].map(async (relay) => {
        const publisher = bus();
        const mine = teams.slice(relay * 5, relay * 5 + 5);
        for (let batch = 0; batch < 5; batch++) {
          await publisher.publish(Array.from({ length: 500 }, (_, i) => event(mine[i % 5], batch * 500 + i)));
        }
      }),
    );
    await eventually(() => expect(count).toBe(10_000), 60_000, 200);
    for (const teamId of teams) {
      const sequence = received.get(teamId)!;
      expect(sequence).toHaveLength(500);
      expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    }
  }, 90_000);
});

describe('PostgreSQL event bus: type filters and wake-ups', () => {
  let db: TestDatabase;
  const buses: PostgresEventBus[] = [];
  const bus = (pollMs = 200) => {
    const b = new PostgresEventBus(db.url, logger, { pollMs });
    buses.push(b);
    return b;
  };
  const typed = (type: string, n: number): DomainEvent => createEvent('test', { type, aggregateId: 'agg', teamId: null, actor: null, payload: { n } }) as DomainEvent;

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    for (const b of buses.splice(0)) await b.close();
    await db.drop();
  });

  /** The server processes of this database's connections with this application name. */
  const backends = async (applicationName: string): Promise<number[]> => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1', [applicationName]);
      return rows.map((r) => r.pid);
    } finally {
      await client.end();
    }
  };

  it('wakes every group it serves through one listening connection', async () => {
    const publisher = bus();
    const consumers = bus(60_000); // a group not woken would wait a minute for its next read
    const received = new Map<string, string[]>();
    for (const name of ['a', 'b', 'c']) {
      received.set(name, []);
      await consumers.subscribe(`${name}-${randomUUID()}`, async ({ event: e }) => void received.get(name)!.push(e.id));
    }
    expect(await backends('eventbus:listen')).toHaveLength(1); // the publisher, which subscribes to nothing, does not listen
    const event = typed('test.any', 1);
    await publisher.publish([event]);
    await eventually(() => expect([...received.values()]).toEqual([[event.id], [event.id], [event.id]]));
  });

  it('listens again after losing its listening connection, and reads what was published meanwhile', async () => {
    const publisher = bus();
    const received: string[] = [];
    await bus(60_000).subscribe(`relisten-${randomUUID()}`, async ({ event: e }) => void received.push(e.id));
    const [listener] = await backends('eventbus:listen');
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [listener]);
    } finally {
      await admin.end();
    }
    const event = typed('test.any', 1);
    await publisher.publish([event]); // likely before the new LISTEN: only the wake-up after it finds this
    await eventually(() => expect(received).toEqual([event.id]));
    await eventually(async () => expect((await backends('eventbus:listen')).filter((pid) => pid !== listener)).toHaveLength(1));
  });

  it('delivers only the wanted types, in order, and moves past the others so a restarted group starts after them', async () => {
    const publisher = bus();
    const group = `filtered-${randomUUID()}`;
    const received: DomainEvent[] = [];
    const first = await bus().subscribe(group, async ({ event: e }) => void received.push(e), { types: ['test.wanted'] });
    const sent = Array.from({ length: 30 }, (_, i) => typed(i % 3 === 0 ? 'test.wanted' : 'test.other', i));
    await publisher.publish(sent);
    await eventually(() => expect(received).toHaveLength(10));
    expect(received.map((e) => e.id)).toEqual(sent.filter((e) => e.type === 'test.wanted').map((e) => e.id));
    // The batch ended with unwanted events: the group's position is past them.
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await eventually(async () => {
        const { rows } = await client.query('SELECT (SELECT position FROM eventbus.consumer_offsets WHERE consumer = $1) AS position, (SELECT max(seq) FROM eventbus.events) AS last', [group]);
        expect(rows[0].position).toBe(rows[0].last);
      });
    } finally {
      await client.end();
    }
    await first.stop();

    const after: DomainEvent[] = [];
    await bus().subscribe(group, async ({ event: e }) => void after.push(e), { types: ['test.wanted'] });
    const next = typed('test.wanted', 99);
    await publisher.publish([next]);
    await eventually(() => expect(after.map((e) => e.id)).toEqual([next.id]));
  });

  it('delivers every type but the excepted ones, is not woken by those alone, and moves past them', async () => {
    const publisher = bus();
    const group = `except-${randomUUID()}`;
    const received: DomainEvent[] = [];
    await bus(60_000).subscribeBatches!(group, async (deliveries) => void received.push(...deliveries.map((d) => d.event)), { exceptTypes: ['test.noisy'] });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const position = async () =>
      (await client.query('SELECT position::int AS p, (SELECT max(seq)::int FROM eventbus.events) AS last FROM eventbus.consumer_offsets WHERE consumer = $1', [group])).rows[0];
    try {
      const sent = Array.from({ length: 12 }, (_, i) => typed(['test.a', 'test.noisy', 'test.b'][i % 3], i));
      await publisher.publish(sent);
      await eventually(() => expect(received.map((e) => e.id)).toEqual(sent.filter((e) => e.type !== 'test.noisy').map((e) => e.id)));
      await eventually(async () => expect(await position()).toEqual({ p: 12, last: 12 }));
      await publisher.publish(Array.from({ length: 5 }, (_, i) => typed('test.noisy', 100 + i)));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await position()).toEqual({ p: 12, last: 17 }); // not woken by them
      const wanted = typed('test.c', 200);
      await publisher.publish([wanted]);
      await eventually(() => expect(received.at(-1)?.id).toBe(wanted.id));
      expect(received).toHaveLength(9);
      await eventually(async () => expect(await position()).toEqual({ p: 18, last: 18 }));
    } finally {
      await client.end();
    }
  });

  it('is not woken by events of types it does not handle, and passes them with its next read', async () => {
    const publisher = bus();
    const group = `sleeper-${randomUUID()}`;
    const received: DomainEvent[] = [];
    await bus(60_000).subscribe(group, async ({ event: e }) => void received.push(e), { types: ['test.wanted'] });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const position = async () =>
      (await client.query('SELECT position::int AS p, (SELECT max(seq)::int FROM eventbus.events) AS last FROM eventbus.consumer_offsets WHERE consumer = $1', [group])).rows[0];
    try {
      const first = typed('test.wanted', 0);
      await publisher.publish([first]);
      await eventually(async () => expect(await position()).toEqual({ p: 1, last: 1 })); // handled, and asleep until woken or a minute passes
      await publisher.publish(Array.from({ length: 20 }, (_, i) => typed('test.other', i)));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await position()).toEqual({ p: 1, last: 21 }); // not woken by them
      const wanted = typed('test.wanted', 21);
      await publisher.publish([wanted]);
      await eventually(() => expect(received.map((e) => e.id)).toEqual([first.id, wanted.id]));
      await eventually(async () => expect(await position()).toEqual({ p: 22, last: 22 }));
    } finally {
      await client.end();
    }
  });
});
