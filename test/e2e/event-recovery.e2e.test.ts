import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { signAssertion } from '../../subgraphs/kit/auth';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { PASSWORD, uniqueEmail } from '../support/factories';
import { SubgraphProcess } from '../support/processes';

/**
 * Crash recovery of the event backbone with real processes killed by SIGKILL at the worst
 * moments: after a commit but before the relay published, and half-way through a consumer's
 * transaction. Locks held by the test pin each process at exactly that moment.
 */
let db: TestDatabase;
let identity: SubgraphProcess;
let team: SubgraphProcess;
let sql: Client;
const secret = randomBytes(32).toString('hex');

beforeAll(async () => {
  db = await createTestDatabase();
  const env = { DATABASE_URL: db.url, INTERNAL_AUTH_SECRET: secret, EVENT_BUS: 'postgres' };
  identity = new SubgraphProcess('identity', env);
  team = new SubgraphProcess('team', env);
  await identity.start();
  await team.start();
  sql = new Client({ connectionString: db.url });
  await sql.connect();
});

afterAll(async () => {
  await sql?.end();
  await identity?.stop();
  await team?.stop();
  await db?.drop();
});

async function signUp(): Promise<string> {
  const assertion = signAssertion({ principal: { kind: 'anonymous' }, requestId: 'test' }, secret);
  const response = await fetch(identity.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-console-assertion': assertion },
    body: JSON.stringify({
      query: 'mutation ($input: SignUpInput!) { signUp(input: $input) { ... on AuthSession { user { id } } } }',
      variables: { input: { email: uniqueEmail('crash'), password: PASSWORD } },
    }),
  });
  const body = await response.json();
  if (!body.data?.signUp?.user?.id) throw new Error(JSON.stringify(body));
  return body.data.signUp.user.id;
}

const personalTeams = async (userId: string) =>
  (await sql.query(`SELECT t.id FROM team.teams t JOIN team.memberships m ON m.team_id = t.id WHERE m.user_id = $1 AND t.is_personal`, [userId])).rowCount;

async function waitForLockWait(applicationName: string): Promise<void> {
  await eventually(async () => {
    const { rowCount } = await sql.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [applicationName]);
    if (!rowCount) throw new Error(`${applicationName} is not waiting on a lock yet`);
  });
}

describe('crash recovery of domain events', () => {
  it('delivers an event once when its subgraph is killed between the commit and the relay’s publish', async () => {
    // Hold the bus's append lock: the relay can read the committed event but cannot publish it.
    const blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query(`SELECT pg_advisory_lock(hashtext('eventbus:append'))`);
    const userId = await signUp();
    await waitForLockWait('eventbus');
    const [{ published_at }] = (await sql.query(`SELECT published_at FROM identity.outbox WHERE aggregate_id = $1`, [userId])).rows;
    expect(published_at).toBeNull();

    await identity.kill();
    await blocker.end();
    // The dead relay never marked the event published (its publish, one statement, may still have
    // committed once the lock was free): the restarted relay publishes it again.
    const outboxRow = async () => (await sql.query(`SELECT published_at FROM identity.outbox WHERE aggregate_id = $1`, [userId])).rows[0];
    expect((await outboxRow()).published_at).toBeNull();

    await identity.start();
    await eventually(async () => expect(await personalTeams(userId)).toBe(1));
    await eventually(async () => expect((await outboxRow()).published_at).not.toBeNull());
    expect((await sql.query(`SELECT 1 FROM eventbus.events WHERE aggregate_id = $1`, [userId])).rowCount).toBe(1); // a republished event is kept once
    // Stays at one: nothing is redelivered late.
    await new Promise((r) => setTimeout(r, 500));
    expect(await personalTeams(userId)).toBe(1);
  });

  it('applies an event once when the consumer is killed in the middle of applying it', async () => {
    // The consumer writes the team, then must wait for the membership table we hold.
    const blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE team.memberships IN SHARE MODE');
    const userId = await signUp();
    await waitForLockWait('console-graph:team');

    await team.kill();
    await blocker.query('ROLLBACK');
    await blocker.end();
    expect(await personalTeams(userId)).toBe(0);

    await team.start();
    await eventually(async () => expect(await personalTeams(userId)).toBe(1));
    const { rowCount } = await sql.query(`SELECT 1 FROM team.teams WHERE created_by = $1`, [userId]);
    expect(rowCount).toBe(1);
  });
});
