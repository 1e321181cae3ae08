import { eventually } from '../../../test/support/eventually';
import { startSubgraph, testMailConfig, type StartedSubgraph } from '../../../test/support/graph';
import { startMailbox, type Mailbox } from '../../../test/support/smtp-server';
import type { TeamServices } from '../../team/team.context';
import { teamSubgraph } from '../../team/team.subgraph';
import { createLogger } from '../logger';
import { UnitOfWork } from '../transaction';
import { MailSender } from './mail-sender';
import { MailRepository } from './mail.repository';
import { smtpTransport } from './smtp-transport';

let mailbox: Mailbox;
let team: StartedSubgraph<TeamServices>;
let mail: MailRepository;

beforeAll(async () => {
  mailbox = await startMailbox();
  // Team's own sender runs as in production, sending to the loopback server.
  team = await startSubgraph(teamSubgraph, { app: { consumers: false, relay: false }, mail: testMailConfig(mailbox) });
  mail = new MailRepository(new UnitOfWork(team.app.infra.dataSource), 'team');
});

afterAll(async () => {
  await team?.stop();
  await mailbox?.close();
});

const rowsTo = (recipient: string): Promise<{ id: string; subject: string; sent: boolean; attempts: number; last_error: string | null }[]> =>
  team.app.infra.dataSource.query(
    `SELECT id, subject, sent_at IS NOT NULL AS sent, attempts, last_error FROM team.outgoing_emails WHERE recipient = $1 ORDER BY subject`,
    [recipient],
  );

describe('mail sender', () => {
  it('delivers every mail exactly once over SMTP when the server refuses one of them once, without resending or holding up the others', async () => {
    const recipient = `refused.${Date.now()}@example.com`;
    mailbox.refuseOnce((m) => m.to.includes(recipient) && m.subject === 'second');
    // A second replica's sender on the same outbox: a claimed mail is never sent by both.
    const replica = new MailSender(mail, createLogger('team', 'silent'), testMailConfig(mailbox), team.db.url);
    replica.start();
    try {
      await team.app.infra.dataSource.transaction((tx) =>
        mail.enqueue(tx, ['first', 'second', 'third'].map((subject) => ({ recipient, subject, body: `the ${subject} mail` }))),
      );
      await eventually(() => expect(mailbox.to(recipient)).toHaveLength(3));
      await eventually(async () => expect((await rowsTo(recipient)).every((r) => r.sent)).toBe(true));
    } finally {
      await replica.stop();
    }
    const received = mailbox.to(recipient);
    // The refused mail did not hold up the one behind it: it came last, after its backoff.
    expect(received.at(-1)!.subject).toBe('second');
    expect(received.map((m) => [m.subject, m.body]).sort()).toEqual([
      ['first', 'the first mail'],
      ['second', 'the second mail'],
      ['third', 'the third mail'],
    ]);
    const rows = await rowsTo(recipient);
    expect(rows.map((r) => [r.subject, r.attempts])).toEqual([
      ['first', 0],
      ['second', 1],
      ['third', 0],
    ]);
    expect(rows[1].last_error).toMatch(/451/);
    // Each message carries the Message-ID of its outbox row.
    const idOf = Object.fromEntries(rows.map((r) => [r.subject, r.id]));
    for (const m of received) expect(m.messageId).toBe(`<${idOf[m.subject]}@console.test>`);
    expect(received.every((m) => m.from === 'no-reply@console.test')).toBe(true);
  });

  it('sends a mail delivered before its mark was lost again with the same Message-ID, so the receiver can drop the duplicate', async () => {
    // Only this test sends: Team's own sender stops.
    await team.app.services.mailSender.stop();
    const recipient = `redelivered.${Date.now()}@example.com`;
    await team.app.infra.dataSource.transaction((tx) => mail.enqueue(tx, [{ recipient, subject: 'once', body: 'delivered, then the mark was lost' }]));
    // The server accepts the mail but the sender never learns it (the reply is lost): it stays pending.
    const direct = smtpTransport(mailbox.url, testMailConfig(mailbox).from);
    try {
      expect(
        await mail.sendPending(async (m) => {
          await direct.send(m);
          throw new Error('connection lost before the reply');
        }),
      ).toEqual({ sent: 0, failed: 1 });
    } finally {
      direct.close();
    }
    expect(mailbox.to(recipient)).toHaveLength(1);
    const sender = new MailSender(mail, createLogger('team', 'silent'), testMailConfig(mailbox), team.db.url);
    sender.start();
    try {
      await eventually(() => expect(mailbox.to(recipient)).toHaveLength(2));
    } finally {
      await sender.stop();
    }
    const [first, second] = mailbox.to(recipient);
    const [row] = await rowsTo(recipient);
    expect(first.messageId).toBe(`<${row.id}@console.test>`);
    expect(second.messageId).toBe(first.messageId);
    await eventually(async () => expect((await rowsTo(recipient))[0].sent).toBe(true));
  });

  it('sends new mail as soon as it commits, not at the next poll', async () => {
    await team.app.services.mailSender.stop();
    const sender = new MailSender(mail, createLogger('team', 'silent'), { ...testMailConfig(mailbox), pollMs: 60_000 }, team.db.url);
    sender.start();
    try {
      // Listening before the mail commits (NOTIFY reaches only listeners already there).
      await eventually(async () =>
        expect(await team.app.infra.dataSource.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'mail:team' AND query LIKE 'LISTEN%'`)).toHaveLength(1),
      );
      const recipient = `woken.${Date.now()}@example.com`;
      await team.app.infra.dataSource.transaction((tx) => mail.enqueue(tx, [{ recipient, subject: 'now', body: 'no waiting for the poll' }]));
      // Far sooner than the minute-long poll.
      await eventually(() => expect(mailbox.to(recipient).map((m) => m.subject)).toEqual(['now']), 10_000);
    } finally {
      await sender.stop();
    }
  });
});
