import { randomUUID } from 'node:crypto';
import { createEvent, EventType, type DomainEvent, type EventConsumer } from '../../kit/events';
import { startSubgraph, type StartedSubgraph } from '../../../test/support/graph';
import type { TeamServices } from '../team.context';
import { TeamDirectoryVerified1733300000000 } from '../migrations/1733300000000-team-directory-verified';
import { teamSubgraph } from '../team.subgraph';
import { DirectoryConsumer } from './directory.consumer';
import { EmailVerifiedConsumer } from './email-verified.consumer';
import { SignUpConsumer } from './sign-up.consumer';

let team: StartedSubgraph<TeamServices>;

beforeAll(async () => {
  team = await startSubgraph(teamSubgraph, { app: { consumers: false, relay: false } });
});

afterAll(async () => {
  await team?.stop();
});

const event = (type: string, payload: Record<string, unknown>, occurredAt?: Date): DomainEvent =>
  createEvent('identity', { type, aggregateId: String(payload.userId), teamId: null, actor: null, payload, occurredAt }) as DomainEvent;

const signUps = () => new SignUpConsumer(team.app.services.directory);
const verifications = () => new EmailVerifiedConsumer(team.app.services.members, team.app.services.domains);
const changes = () => new DirectoryConsumer(team.app.services.directory);
const applyOnce = (consumer: EventConsumer, e: DomainEvent) => team.app.consumerRunner.applyOnce(consumer, e);
/** The same event handed to the consumer again past the runner's de-duplication (e.g. a replayed dead letter). */
const applyAgain = (consumer: EventConsumer, e: DomainEvent) => team.app.infra.dataSource.transaction((tx) => consumer.apply(e, tx));
const entry = async (userId: string) => (await team.app.services.directory.findByUser(userId)).map((u) => ({ email: u.email, verified: u.emailVerified }));
const at = (ms: number) => new Date(Date.UTC(2026, 10, 1) + ms);

describe("Team's directory of accounts", () => {
  it('follows an email change and forgets a purged account', async () => {
    const userId = randomUUID();
    await applyOnce(verifications(), event(EventType.UserEmailVerified, { userId, email: `old.${userId}@example.com` }));
    const consumer = changes();
    await applyOnce(consumer, event(EventType.UserEmailChanged, { userId, email: `new.${userId}@example.com` }));
    expect((await team.app.services.directory.findByUser(userId)).map((u) => u.email)).toEqual([`new.${userId}@example.com`]);
    expect(await team.app.services.directory.findVerifiedByEmail(`old.${userId}@example.com`)).toEqual([]);

    await applyOnce(consumer, event(EventType.UserPurged, { userId }));
    expect(await team.app.services.directory.findByUser(userId)).toEqual([]);
  });

  it('records the address typed at sign-up as unverified, found by address only once verified', async () => {
    const userId = randomUUID();
    const email = `typed.${userId}@example.com`;
    await applyOnce(signUps(), event(EventType.UserSignedUp, { userId, email }, at(0)));
    expect(await entry(userId)).toEqual([{ email, verified: false }]);
    expect(await team.app.services.directory.findVerifiedByEmail(email)).toEqual([]);
    expect(await team.app.services.directory.findVerifiedByUsers([userId])).toEqual([]);

    await applyOnce(verifications(), event(EventType.UserEmailVerified, { userId, email }, at(1000)));
    expect(await entry(userId)).toEqual([{ email, verified: true }]);
    expect((await team.app.services.directory.findVerifiedByEmail(email.toUpperCase())).map((u) => u.userId)).toEqual([userId]);
    expect((await team.app.services.directory.findVerifiedByUsers([userId])).map((u) => u.email)).toEqual([email]);
  });

  it('counts a confirmed email change as a verified address', async () => {
    const userId = randomUUID();
    await applyOnce(signUps(), event(EventType.UserSignedUp, { userId, email: `typed.${userId}@example.com` }, at(0)));
    await applyOnce(changes(), event(EventType.UserEmailChanged, { userId, email: `confirmed.${userId}@example.com` }, at(1000)));
    expect(await entry(userId)).toEqual([{ email: `confirmed.${userId}@example.com`, verified: true }]);
  });

  it('does not downgrade a verified address when the sign-up event arrives late or again', async () => {
    const userId = randomUUID();
    const email = `google.${userId}@example.com`;
    // A provider-verified sign-up: both events in one Identity transaction, handled by different consumers in either order.
    const signUp = event(EventType.UserSignedUp, { userId, email }, at(0));
    await applyOnce(verifications(), event(EventType.UserEmailVerified, { userId, email }, at(0)));
    expect(await applyOnce(signUps(), signUp)).toBe(true);
    expect(await entry(userId)).toEqual([{ email, verified: true }]);

    expect(await applyOnce(signUps(), signUp)).toBe(false);
    await applyAgain(signUps(), signUp);
    expect(await entry(userId)).toEqual([{ email, verified: true }]);
  });

  it('does not bring back an earlier address when the sign-up event arrives after a confirmed change', async () => {
    const userId = randomUUID();
    await applyOnce(changes(), event(EventType.UserEmailChanged, { userId, email: `later.${userId}@example.com` }, at(5000)));
    await applyOnce(signUps(), event(EventType.UserSignedUp, { userId, email: `first.${userId}@example.com` }, at(0)));
    expect(await entry(userId)).toEqual([{ email: `later.${userId}@example.com`, verified: true }]);
    expect(await team.app.services.directory.findVerifiedByEmail(`first.${userId}@example.com`)).toEqual([]);
  });

  it('keeps the newest address when an older verification arrives after a newer change, and applies redelivered verifications once', async () => {
    const userId = randomUUID();
    const [b, c] = [`b.${userId}@example.com`, `c.${userId}@example.com`];
    const verifiedB = event(EventType.UserEmailVerified, { userId, email: b }, at(1000));
    await applyOnce(changes(), event(EventType.UserEmailChanged, { userId, email: c }, at(2000)));
    await applyOnce(verifications(), verifiedB);
    expect(await entry(userId)).toEqual([{ email: c, verified: true }]);
    expect(await team.app.services.directory.findVerifiedByEmail(b)).toEqual([]);

    const verifiedC = event(EventType.UserEmailVerified, { userId, email: c }, at(2000));
    await applyOnce(verifications(), verifiedC);
    await applyAgain(verifications(), verifiedC);
    expect(await entry(userId)).toEqual([{ email: c, verified: true }]);
  });

  it('treats the addresses recorded before verification existed as verified, as Identity does', async () => {
    const userId = randomUUID();
    const migration = new TeamDirectoryVerified1733300000000();
    const q = team.app.infra.dataSource.createQueryRunner();
    await q.startTransaction();
    try {
      await migration.down(q);
      await q.query(`INSERT INTO team.user_directory (user_id, email) VALUES ($1, $2)`, [userId, `before.${userId}@example.com`]);
      await migration.up(q);
      const rows = await q.query(`SELECT email_verified, email_as_of = created_at AS as_of_recorded FROM team.user_directory WHERE user_id = $1`, [userId]);
      expect(rows).toEqual([{ email_verified: true, as_of_recorded: true }]);
    } finally {
      // Leaves this test's database as the migrations made it.
      await q.rollbackTransaction();
      await q.release();
    }
  });
});
