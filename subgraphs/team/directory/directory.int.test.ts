import { randomUUID } from 'node:crypto';
import { createEvent, EventType, type DomainEvent } from '../../kit/events';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { TeamServices } from '../team.context';
import { teamSubgraph } from '../team.subgraph';
import { DirectoryConsumer } from './directory.consumer';
import { EmailVerifiedConsumer } from './email-verified.consumer';

let team: StartedSubgraph<TeamServices>;

beforeAll(async () => {
  team = await startSubgraph(teamSubgraph, { app: { consumers: false, relay: false } });
});

afterAll(async () => {
  await team?.stop();
});

const event = (type: string, payload: Record<string, unknown>): DomainEvent =>
  createEvent('identity', { type, aggregateId: String(payload.userId), teamId: null, actor: null, payload }) as DomainEvent;

describe("Team's directory of accounts", () => {
  it('follows an email change and forgets a purged account', async () => {
    const userId = randomUUID();
    const runner = team.app.consumerRunner;
    const services = team.app.services;
    await runner.applyOnce(new EmailVerifiedConsumer(services.members, services.domains), event(EventType.UserEmailVerified, { userId, email: `old.${userId}@example.com` }));
    const consumer = new DirectoryConsumer(services.directory);
    await runner.applyOnce(consumer, event(EventType.UserEmailChanged, { userId, email: `new.${userId}@example.com` }));
    expect((await services.directory.findByUser(userId)).map((u) => u.email)).toEqual([`new.${userId}@example.com`]);
    expect(await services.directory.findByEmail(`old.${userId}@example.com`)).toEqual([]);

    await runner.applyOnce(consumer, event(EventType.UserPurged, { userId }));
    expect(await services.directory.findByUser(userId)).toEqual([]);
  });
});
