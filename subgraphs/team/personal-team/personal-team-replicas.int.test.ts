import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { testEnv } from '../../../test/support/env';
import { eventually } from '../../../test/support/eventually';
import { PASSWORD, uniqueEmail } from '../../../test/support/factories';
import { subgraphConfig } from '../../../test/support/graph';
import type { EventBusConfig } from '../../kit/config';
import { NatsEventBus } from '../../kit/events';
import { createLogger } from '../../kit/logger';
import { SubgraphApp } from '../../kit/subgraph';
import type { IdentityLoaders, IdentityServices } from '../../identity/identity.context';
import { identitySubgraph } from '../../identity/identity.subgraph';
import type { TeamLoaders, TeamServices } from '../team.context';
import { teamSubgraph } from '../team.subgraph';

// Runs wherever NATS_URL is configured (CI always configures it).
const describeWithNats = testEnv.natsUrl ? describe : describe.skip;

describeWithNats('two Team replicas on NATS JetStream', () => {
  let db: TestDatabase;
  let identity: SubgraphApp<IdentityServices, IdentityLoaders>;
  const replicas: SubgraphApp<TeamServices, TeamLoaders>[] = [];
  const secret = randomBytes(32).toString('hex');
  const bus: EventBusConfig = { kind: 'nats', natsUrl: testEnv.natsUrl, natsStream: `TEST_${randomBytes(6).toString('hex').toUpperCase()}` };

  beforeAll(async () => {
    db = await createTestDatabase();
    identity = new SubgraphApp(identitySubgraph, subgraphConfig('identity', db.url, secret, bus));
    await identity.start();
    for (let i = 0; i < 2; i++) {
      const replica = new SubgraphApp(teamSubgraph, subgraphConfig('team', db.url, secret, bus));
      await replica.start();
      replicas.push(replica);
    }
  });

  afterAll(async () => {
    for (const r of replicas) await r.stop();
    await identity?.stop();
    const admin = new NatsEventBus(testEnv.natsUrl!, createLogger('test', 'silent'), { stream: bus.natsStream });
    await admin.deleteStream();
    await admin.close();
    await db?.drop();
  });

  it('applies each sign-up once: one Personal Team per user', async () => {
    const users: string[] = [];
    for (let i = 0; i < 30; i++) {
      const result = await identity.services.auth.signUp({ email: uniqueEmail('replica'), password: PASSWORD }, {});
      if (!('token' in result)) throw new Error('a fresh email needs no account choice');
      users.push(result.user.id);
    }
    const sql = replicas[0].infra.dataSource;
    await eventually(async () => {
      const [{ count }] = await sql.query(`SELECT count(*)::int AS count FROM team.teams WHERE created_by = ANY($1::uuid[])`, [users]);
      expect(count).toBe(30);
    }, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const rows = await sql.query(`SELECT created_by, count(*)::int AS teams FROM team.teams WHERE created_by = ANY($1::uuid[]) GROUP BY created_by`, [users]);
    expect(rows).toHaveLength(30);
    expect(rows.every((r: { teams: number }) => r.teams === 1)).toBe(true);
  });
});
