import { randomUUID } from 'node:crypto';
import { createEvent, EventType, type DomainEvent, type EventConsumer } from '../../kit/events';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { TeamServices } from '../team.context';
import { teamSubgraph } from '../team.subgraph';
import { PersonalTeamConsumer } from './personal-team.consumer';

let team: StartedSubgraph<TeamServices>;

beforeAll(async () => {
  // No bus consumers: the tests hand events to the consumer runner themselves.
  team = await startSubgraph(teamSubgraph, { app: { consumers: false, relay: false } });
});

afterAll(async () => {
  await team?.stop();
});

const signedUp = (userId = randomUUID()): DomainEvent =>
  createEvent('identity', { type: EventType.UserSignedUp, aggregateId: userId, teamId: null, actor: { userId }, payload: { userId, email: `${userId}@example.com` } }) as DomainEvent;

const teamsOf = async (userId: string) =>
  team.app.infra.dataSource.query(`SELECT t.name, t.is_personal, m.role FROM team.teams t JOIN team.memberships m ON m.team_id = t.id WHERE m.user_id = $1`, [userId]);

describe('Personal Team on sign-up', () => {
  it('creates one Personal Team with the user as Admin', async () => {
    const event = signedUp();
    await team.app.consumerRunner.applyOnce(new PersonalTeamConsumer(team.app.services.teams), event);
    expect(await teamsOf(event.aggregateId)).toEqual([{ name: 'Personal Team', is_personal: true, role: 'ADMIN' }]);
  });

  it('applies the same event delivered twice only once', async () => {
    const event = signedUp();
    const consumer = new PersonalTeamConsumer(team.app.services.teams);
    expect(await team.app.consumerRunner.applyOnce(consumer, event)).toBe(true);
    expect(await team.app.consumerRunner.applyOnce(consumer, event)).toBe(false);
    expect(await teamsOf(event.aggregateId)).toHaveLength(1);
  });

  it('applies the same event delivered twice at the same moment only once', async () => {
    const event = signedUp();
    const consumer = new PersonalTeamConsumer(team.app.services.teams);
    const results = await Promise.allSettled([team.app.consumerRunner.applyOnce(consumer, event), team.app.consumerRunner.applyOnce(consumer, event)]);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value === true)).toHaveLength(1);
    expect(await teamsOf(event.aggregateId)).toHaveLength(1);
  });

  it('leaves nothing behind when applying fails half-way, and applies once on retry', async () => {
    const event = signedUp();
    let fail = true;
    const inner = new PersonalTeamConsumer(team.app.services.teams);
    const flaky: EventConsumer = {
      name: inner.name,
      handles: (e) => inner.handles(e),
      apply: async (e, tx) => {
        await inner.apply(e, tx);
        if (fail) throw new Error('crashed after writing');
      },
    };
    await expect(team.app.consumerRunner.applyOnce(flaky, event)).rejects.toThrow('crashed after writing');
    expect(await teamsOf(event.aggregateId)).toHaveLength(0);
    fail = false;
    await team.app.consumerRunner.applyOnce(flaky, event);
    expect(await teamsOf(event.aggregateId)).toHaveLength(1);
  });

  it('writes the team.created and team.member.added events with the team, in the same transaction', async () => {
    const event = signedUp();
    await team.app.consumerRunner.applyOnce(new PersonalTeamConsumer(team.app.services.teams), event);
    const rows = await team.app.infra.dataSource.query(
      `SELECT type, envelope->'payload'->>'userId' AS user_id FROM team.outbox WHERE envelope->'actor'->>'userId' = $1 ORDER BY seq`,
      [event.aggregateId],
    );
    expect(rows.map((r: { type: string }) => r.type)).toEqual([EventType.TeamCreated, EventType.TeamMemberAdded]);
  });
});
