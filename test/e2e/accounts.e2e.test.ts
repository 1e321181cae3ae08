import { base32Decode, hotp, totpStep } from '../../subgraphs/identity/mfa/totp';
import {
  CompleteMfaChallengeDocument,
  ConfirmEmailChangeDocument,
  ConfirmMfaEnrollmentDocument,
  DeleteAccountDocument,
  MeDocument,
  RequestEmailChangeDocument,
  RestoreAccountDocument,
  SignInDocument,
  StartMfaEnrollmentDocument,
} from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { lastMailTo, PASSWORD, signUpUser, uniqueEmail } from '../support/factories';
import { useGraph, type TestGraph } from '../support/graph';
import { callInternal } from '../support/internal';
import type { ReceivedMail } from '../support/smtp-server';

let graph: TestGraph;
let anonymous: GraphClient;
// The test client stands in for a reverse proxy on loopback, naming the client in X-Forwarded-For.
useGraph((started) => ({ graph, anonymous } = started), { trustedProxies: ['127.0.0.1', '::1'] });

const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;
const identityDb = () => graph.apps.identity.infra.dataSource;
const signIn = (email: string, password = PASSWORD, headers: Record<string, string> = {}) =>
  anonymous.request(SignInDocument, { input: { email, password } }, headers);

async function signedIn(email: string): Promise<GraphClient> {
  const result = await signIn(email);
  return anonymous.as((result.data!.signIn as { token: string }).token);
}

/** Mail the address received, other than the code that verifies it at sign-up, once `count` have arrived. */
async function mailTo(recipient: string, count: number): Promise<ReceivedMail[]> {
  return eventually(() => {
    const mails = graph.mailbox.to(recipient).filter((m) => m.subject !== 'Verify your email address');
    if (mails.length < count) throw new Error(`${mails.length} of ${count} mails to ${recipient} so far`);
    return mails;
  });
}

const purge = () => callInternal<{ purged: number }>(graph.apps.identity.url, 'purge-deleted-accounts', {}, graph.secret, 'operator');

describe('deleting an account', () => {
  it('needs a recent sign-in', async () => {
    const user = await signUpUser(anonymous);
    await identityDb().query(`UPDATE identity.sessions SET created_at = created_at - interval '10 minutes' WHERE user_id = $1`, [user.id]);
    expect(codeOf(await user.client.request(DeleteAccountDocument))).toBe('REAUTHENTICATION_REQUIRED');
    expect((await user.client.data(MeDocument)).me?.id).toBe(user.id);
  });

  it('ends every session at once, offers a restore on sign-in for 30 days, and restores everything', async () => {
    const user = await signUpUser(anonymous);
    const laptop = await signedIn(user.email);
    const { deleteAccount } = await user.client.data(DeleteAccountDocument);
    const days = (new Date(deleteAccount.restoreBefore as string).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    for (const client of [user.client, laptop]) expect(codeOf(await client.request(MeDocument))).toBe('UNAUTHENTICATED');

    const offered = await signIn(user.email);
    expect(offered.data?.signIn).toEqual({ __typename: 'AccountRestoreRequired', restoreBefore: deleteAccount.restoreBefore });
    expect(codeOf(await signIn(user.email, 'not the password at all'))).toBe('INVALID_CREDENTIALS');
    expect(codeOf(await anonymous.request(RestoreAccountDocument, { input: { email: user.email, password: 'not the password at all' } }))).toBe('INVALID_CREDENTIALS');

    const restored = await anonymous.data(RestoreAccountDocument, { input: { email: user.email, password: PASSWORD } });
    expect(restored.restoreAccount.__typename).toBe('AuthSession');
    const back = anonymous.as((restored.restoreAccount as { token: string }).token);
    expect((await back.data(MeDocument)).me).toMatchObject({ id: user.id, email: user.email });
    await eventually(async () => expect((await back.data(MeDocument)).me?.teams.some((t) => t.team.isPersonal)).toBe(true));
    expect((await signIn(user.email)).data?.signIn.__typename).toBe('AuthSession');
    expect(codeOf(await anonymous.request(RestoreAccountDocument, { input: { email: user.email, password: PASSWORD } }))).toBe('CONFLICT');

    const events: { event_type: string }[] = await eventually(async () => {
      const rows = await graph.apps.audit.infra.dataSource.query(`SELECT event_type FROM audit.audit_events WHERE actor_user_id = $1`, [user.id]);
      if (!rows.some((r: { event_type: string }) => r.event_type === 'identity.user.restored')) throw new Error('not yet');
      return rows;
    });
    expect(events.map((e) => e.event_type)).toContain('identity.user.deleted');
  });

  it('asks for the second factor before restoring an account with MFA on', async () => {
    const user = await signUpUser(anonymous);
    const { startMfaEnrollment } = await user.client.data(StartMfaEnrollmentDocument);
    const code = (offset: number) => hotp(base32Decode(startMfaEnrollment.secret), totpStep(Date.now()) + offset);
    await user.client.data(ConfirmMfaEnrollmentDocument, { totp: code(0) });
    await user.client.data(DeleteAccountDocument);

    expect((await signIn(user.email)).data?.signIn.__typename).toBe('AccountRestoreRequired');
    const asked = await anonymous.data(RestoreAccountDocument, { input: { email: user.email, password: PASSWORD } });
    expect(asked.restoreAccount.__typename).toBe('MfaChallenge');
    expect((await signIn(user.email)).data?.signIn.__typename).toBe('AccountRestoreRequired');
    const done = await anonymous.data(CompleteMfaChallengeDocument, { challengeId: (asked.restoreAccount as { challengeId: string }).challengeId, totp: code(1) });
    expect(done.completeMfaChallenge.__typename).toBe('AuthSession');
    expect((await signIn(user.email)).data?.signIn.__typename).toBe('MfaChallenge');
  });

  it('after 30 days refuses sign-in and restore, and the purge removes the personal data once and announces it', async () => {
    const user = await signUpUser(anonymous);
    await user.client.data(DeleteAccountDocument);
    await identityDb().query(`UPDATE identity.users SET deleted_at = now() - interval '30 days 1 minute' WHERE id = $1`, [user.id]);

    expect(codeOf(await signIn(user.email))).toBe('INVALID_CREDENTIALS');
    expect(codeOf(await anonymous.request(RestoreAccountDocument, { input: { email: user.email, password: PASSWORD } }))).toBe('INVALID_CREDENTIALS');

    expect((await purge()).purged).toBeGreaterThanOrEqual(1);
    expect((await purge()).purged).toBe(0);
    expect(await identityDb().query(`SELECT id FROM identity.users WHERE id = $1`, [user.id])).toEqual([]);
    expect(await identityDb().query(`SELECT id FROM identity.sessions WHERE user_id = $1`, [user.id])).toEqual([]);
    expect(await identityDb().query(`SELECT 1 FROM identity.outgoing_emails WHERE recipient = $1`, [user.email])).toEqual([]);
    const purged = await identityDb().query(`SELECT envelope FROM identity.outbox WHERE type = 'identity.user.purged' AND aggregate_id = $1`, [user.id]);
    expect(purged).toHaveLength(1);
    expect(purged[0].envelope.payload).toEqual({ userId: user.id });
    await eventually(async () => {
      const rows = await graph.apps.audit.infra.dataSource.query(`SELECT 1 FROM audit.audit_events WHERE event_type = 'identity.user.purged' AND payload->>'userId' = $1`, [user.id]);
      expect(rows).toHaveLength(1);
    });

    // The email is free again: a new sign-up is a new, empty account.
    const again = await signUpUser(anonymous, { email: user.email });
    expect(again.id).not.toBe(user.id);
  });

  it('keeps an account deleted within the window out of the purge', async () => {
    const user = await signUpUser(anonymous);
    await user.client.data(DeleteAccountDocument);
    await purge();
    expect(await identityDb().query(`SELECT id FROM identity.users WHERE id = $1`, [user.id])).toHaveLength(1);
  });
});

describe('login notifications', () => {
  it('mails the user on each new sign-in with the time, browser and IP address', async () => {
    const user = await signUpUser(anonymous);
    await signIn(user.email, PASSWORD, { 'user-agent': 'ExampleBrowser/7.1' });
    await signIn(user.email, PASSWORD, { 'user-agent': 'OtherApp/2.0' });
    // Two mails, in order: signing up is not a sign-in to warn about.
    const mails = await mailTo(user.email, 2);
    expect(mails).toHaveLength(2);
    expect(mails[0].subject).toBe('New sign-in to your account');
    expect(mails[0].body).toContain('ExampleBrowser/7.1');
    expect(mails[1].body).toContain('OtherApp/2.0');
    expect(mails[0].body).toMatch(/IP address: \S*127\.0\.0\.1/);
    // Loopback says nothing about where someone is.
    expect(mails[0].body).toContain('Approximate location: unknown');
    expect(mails[0].body).toMatch(/reset your password/i);
    expect(mails[0].body).toMatch(/clear your login sessions/i);
    expect(codeOf(await signIn(user.email, 'wrong password here'))).toBe('INVALID_CREDENTIALS');
    // Mail leaves in order: the next sign-in's mail follows the two, with none for the failed attempt between.
    await signIn(user.email, PASSWORD, { 'user-agent': 'ThirdApp/1.0' });
    const after = await mailTo(user.email, 3);
    expect(after).toHaveLength(3);
    expect(after[2].body).toContain('ThirdApp/1.0');
  });

  it('names the approximate location of a public address, in the mail and in the session list', async () => {
    const user = await signUpUser(anonymous);
    const signedIn = await signIn(user.email, PASSWORD, { 'x-forwarded-for': '203.0.113.9, 81.2.69.142' });
    const [mail] = await mailTo(user.email, 1);
    expect(mail.body).toContain('IP address: 81.2.69.142');
    expect(mail.body).toContain('Approximate location: United Kingdom');

    const client = anonymous.as((signedIn.data!.signIn as { token: string }).token);
    const sessions = ((await client.request('{ me { sessions { ip approximateLocation current } } }')).data as { me: { sessions: { ip: string; approximateLocation: string | null; current: boolean }[] } }).me.sessions;
    expect(sessions.find((s) => s.current)).toEqual({ ip: '81.2.69.142', approximateLocation: 'United Kingdom', current: true });
    // The sign-up's own session came from loopback.
    expect(sessions.find((s) => !s.current)?.approximateLocation).toBeNull();
  });
});

describe('changing the email', () => {
  it('takes effect only with the code mailed to the new address, and tells the old one', async () => {
    const user = await signUpUser(anonymous);
    const newEmail = uniqueEmail('moved');
    expect((await user.client.data(RequestEmailChangeDocument, { newEmail })).requestEmailChange).toBe(true);
    expect((await user.client.data(MeDocument)).me?.email).toBe(user.email);

    const [mail] = await mailTo(newEmail, 1);
    const code = /code to confirm your new email address: (\d{6})/.exec(mail.body)![1];
    const wrong = code === '000000' ? '111111' : '000000';
    expect(codeOf(await user.client.request(ConfirmEmailChangeDocument, { code: wrong }))).toBe('INVALID_VERIFICATION_CODE');
    expect((await user.client.data(ConfirmEmailChangeDocument, { code })).confirmEmailChange).toEqual({ id: user.id, email: newEmail });
    expect(codeOf(await user.client.request(ConfirmEmailChangeDocument, { code }))).toBe('INVALID_VERIFICATION_CODE');

    expect((await lastMailTo(graph.mailbox, user.email, 'Your account email was changed')).body).toContain(newEmail);
    expect((await signIn(newEmail)).data?.signIn.__typename).toBe('AuthSession');
    expect(codeOf(await signIn(user.email))).toBe('INVALID_CREDENTIALS');
  });

  it('needs a recent sign-in, and refuses an address another account signs in with', async () => {
    const user = await signUpUser(anonymous);
    const other = await signUpUser(anonymous);
    expect(codeOf(await user.client.request(RequestEmailChangeDocument, { newEmail: other.email }))).toBe('EMAIL_TAKEN');
    await identityDb().query(`UPDATE identity.sessions SET created_at = created_at - interval '10 minutes' WHERE user_id = $1`, [user.id]);
    expect(codeOf(await user.client.request(RequestEmailChangeDocument, { newEmail: uniqueEmail() }))).toBe('REAUTHENTICATION_REQUIRED');
  });
});
