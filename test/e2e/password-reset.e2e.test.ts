import { createHash } from 'node:crypto';
import { base32Decode, hotp, totpStep } from '../../subgraphs/identity/mfa/totp';
import {
  ConfirmEmailChangeDocument,
  ConfirmMfaEnrollmentDocument,
  RequestEmailChangeDocument,
  MeDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  SignInDocument,
  StartMfaEnrollmentDocument,
} from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { lastMailTo, mailsTo, PASSWORD, signUpUser, uniqueEmail } from '../support/factories';
import { useGraph, type TestGraph } from '../support/graph';

let graph: TestGraph;
let anonymous: GraphClient;
useGraph((started) => ({ graph, anonymous } = started));

const NEW_PASSWORD = 'a brand new passphrase';
const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;
const identityDb = () => graph.apps.identity.infra.dataSource;
const signIn = (email: string, password = PASSWORD) => anonymous.request(SignInDocument, { input: { email, password } });
const requestReset = (email: string) => anonymous.request(RequestPasswordResetDocument, { email });
const reset = (token: string, newPassword = NEW_PASSWORD) => anonymous.request(ResetPasswordDocument, { token, newPassword });

/** The token of the `nth` reset link mailed to the address, as the user would open it. */
async function mailedToken(email: string, nth = 1): Promise<string> {
  const mail = await lastMailTo(graph.mailbox, email, 'Reset your password', nth);
  const link = new URL(/^(http\S+)$/m.exec(mail.body)![1]);
  expect(`${link.origin}${link.pathname}`).toBe('http://localhost:3000/account/reset-password');
  expect(link.search).toBe('');
  const token = new URLSearchParams(link.hash.slice(1)).get('token')!;
  // 256 bits, base64url.
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return token;
}

describe('resetting a forgotten password', () => {
  it('sets the new password with the mailed link once, voids other links, signs out every session and is audited', async () => {
    const user = await signUpUser(anonymous);
    const laptop = anonymous.as(((await signIn(user.email)).data!.signIn as { token: string }).token);

    expect((await requestReset(user.email)).data?.requestPasswordReset).toBe(true);
    const older = await mailedToken(user.email);
    expect((await requestReset(user.email)).data?.requestPasswordReset).toBe(true);
    const newer = await mailedToken(user.email, 2);
    expect(newer).not.toBe(older);
    // Only hashes of the tokens are stored.
    const stored: { token_hash: Buffer }[] = await identityDb().query(`SELECT token_hash FROM identity.password_resets WHERE user_id = $1`, [user.id]);
    expect(stored.map((r) => r.token_hash.toString('hex')).sort()).toEqual([older, newer].map((t) => createHash('sha256').update(t).digest('hex')).sort());

    expect((await reset(newer)).data?.resetPassword).toBe(true);
    expect(codeOf(await reset(newer, 'yet another passphrase'))).toBe('PASSWORD_RESET_USED');
    expect(codeOf(await reset(older, 'yet another passphrase'))).toBe('PASSWORD_RESET_USED');

    for (const client of [user.client, laptop]) expect(codeOf(await client.request(MeDocument))).toBe('UNAUTHENTICATED');
    expect(codeOf(await signIn(user.email))).toBe('INVALID_CREDENTIALS');
    expect((await signIn(user.email, NEW_PASSWORD)).data?.signIn.__typename).toBe('AuthSession');
    expect((await lastMailTo(graph.mailbox, user.email, 'Your password was reset')).body).toBeTruthy();

    await eventually(async () => {
      const rows = await graph.apps.audit.infra.dataSource.query(`SELECT 1 FROM audit.audit_events WHERE event_type = 'identity.user.password_reset' AND actor_user_id = $1`, [user.id]);
      expect(rows).toHaveLength(1);
    });
  });

  it('answers the same for an address without an account and mails nothing', async () => {
    const nobody = uniqueEmail('nobody');
    const known = await signUpUser(anonymous);
    const [forNobody, forKnown] = [await requestReset(nobody), await requestReset(known.email)];
    expect(forNobody).toEqual(forKnown);
    expect(forNobody.data?.requestPasswordReset).toBe(true);
    // Mail leaves in order: once the known address has its link, none went to the other.
    await lastMailTo(graph.mailbox, known.email, 'Reset your password');
    expect(mailsTo(graph.mailbox, nobody)).toEqual([]);
    expect(codeOf(await requestReset('not an email'))).toBeUndefined();
  });

  it('limits requests per address, whether or not it has an account', async () => {
    const known = await signUpUser(anonymous);
    const nobody = uniqueEmail('flood');
    for (const email of [known.email, nobody]) {
      for (let i = 0; i < 3; i++) expect((await requestReset(email)).data?.requestPasswordReset).toBe(true);
      const limited = await requestReset(email);
      expect(codeOf(limited)).toBe('RATE_LIMITED');
      expect(limited.errors?.[0].extensions?.retryAfterSeconds).toBeGreaterThan(0);
    }
    // Mail leaves in order: once a later sign-up's mail has arrived, the refused requests would have too.
    const later = await signUpUser(anonymous);
    await lastMailTo(graph.mailbox, later.email, 'Verify your email address');
    expect(mailsTo(graph.mailbox, known.email, 'Reset your password')).toHaveLength(3);
  });

  it('refuses an expired, an unknown or a malformed link, and a weak password without using the link up', async () => {
    const user = await signUpUser(anonymous);
    await requestReset(user.email);
    const token = await mailedToken(user.email);

    expect(codeOf(await reset(token, 'short'))).toBe('BAD_USER_INPUT');
    expect(codeOf(await reset('A'.repeat(43)))).toBe('PASSWORD_RESET_INVALID');
    expect(codeOf(await reset('x'.repeat(500)))).toBe('PASSWORD_RESET_INVALID');

    // An hour later (the link's row aged in the database, as the restore-window tests age deletions).
    await identityDb().query(`UPDATE identity.password_resets SET created_at = created_at - interval '61 minutes', expires_at = expires_at - interval '61 minutes' WHERE user_id = $1`, [user.id]);
    expect(codeOf(await reset(token))).toBe('PASSWORD_RESET_EXPIRED');
    expect((await signIn(user.email)).data?.signIn.__typename).toBe('AuthSession');
    expect(codeOf(await user.client.request(MeDocument))).toBeUndefined();
  });

  it('voids links mailed to an address the account no longer has', async () => {
    const user = await signUpUser(anonymous);
    await requestReset(user.email);
    const token = await mailedToken(user.email);
    const newEmail = uniqueEmail('moved');
    await user.client.data(RequestEmailChangeDocument, { newEmail });
    const code = /: (\d{6})/.exec((await lastMailTo(graph.mailbox, newEmail)).body)![1];
    await user.client.data(ConfirmEmailChangeDocument, { code });
    expect(codeOf(await reset(token))).toBe('PASSWORD_RESET_USED');
    expect((await signIn(newEmail)).data?.signIn.__typename).toBe('AuthSession');
  });

  it('still asks for the second factor at the next sign-in', async () => {
    const user = await signUpUser(anonymous);
    const { startMfaEnrollment } = await user.client.data(StartMfaEnrollmentDocument);
    await user.client.data(ConfirmMfaEnrollmentDocument, { totp: hotp(base32Decode(startMfaEnrollment.secret), totpStep(Date.now())) });

    await requestReset(user.email);
    expect((await reset(await mailedToken(user.email))).data?.resetPassword).toBe(true);
    expect((await signIn(user.email, NEW_PASSWORD)).data?.signIn.__typename).toBe('MfaChallenge');
  });
});
