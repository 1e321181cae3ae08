import {
  ConfirmEmailChangeDocument,
  CreateTeamDocument,
  MeDocument,
  RequestEmailChangeDocument,
  RequestEmailVerificationDocument,
  VerifyEmailDocument,
} from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { lastMailTo, signUpUser, uniqueEmail } from '../support/factories';
import { useGraph, type TestGraph } from '../support/graph';

let graph: TestGraph;
let anonymous: GraphClient;
useGraph((started) => ({ graph, anonymous } = started));

const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;
const identityDb = () => graph.apps.identity.infra.dataSource;
const emailVerified = async (client: GraphClient) => (await client.request('{ me { emailVerified } }')).data as { me: { emailVerified: boolean } };

async function mailedCode(email: string, subject: string): Promise<string> {
  const mail = await lastMailTo(graph.mailbox, email, subject);
  return /: (\d{6})/.exec(mail.body)![1];
}

const verifiedEvents = async (userId: string) =>
  (await identityDb().query(`SELECT envelope FROM identity.outbox WHERE type = 'identity.user.email_verified' AND aggregate_id = $1`, [userId])).map(
    (r: { envelope: { payload: unknown } }) => r.envelope.payload,
  );

describe('verifying the email of a password sign-up', () => {
  it('mails a code at sign-up; the code verifies the address once, announces it and is audited', async () => {
    const user = await signUpUser(anonymous);
    expect(await emailVerified(user.client)).toEqual({ me: { emailVerified: false } });
    // An unverified password account is usable; only what trusts the address waits.
    expect((await user.client.request(CreateTeamDocument, { input: { name: 'Before verifying' } })).errors).toBeUndefined();

    const code = await mailedCode(user.email, 'Verify your email address');
    const wrong = code === '000000' ? '111111' : '000000';
    expect(codeOf(await user.client.request(VerifyEmailDocument, { code: wrong }))).toBe('INVALID_VERIFICATION_CODE');
    expect(await verifiedEvents(user.id)).toEqual([]);

    expect((await user.client.data(VerifyEmailDocument, { code })).verifyEmail).toEqual({ id: user.id, email: user.email, emailVerified: true });
    expect(codeOf(await user.client.request(VerifyEmailDocument, { code }))).toBe('INVALID_VERIFICATION_CODE');
    expect(await emailVerified(user.client)).toEqual({ me: { emailVerified: true } });
    expect(await verifiedEvents(user.id)).toEqual([{ userId: user.id, email: user.email }]);
    expect(codeOf(await user.client.request(RequestEmailVerificationDocument))).toBe('CONFLICT');

    await eventually(async () => {
      const rows = await graph.apps.audit.infra.dataSource.query(`SELECT description FROM audit.audit_events WHERE event_type = 'identity.user.email_verified' AND actor_user_id = $1`, [user.id]);
      expect(rows).toEqual([{ description: 'VerifyEmail' }]);
    });
  });

  it('mails a fresh code on request, and the earlier one stops working', async () => {
    const user = await signUpUser(anonymous);
    const first = await mailedCode(user.email, 'Verify your email address');
    expect((await user.client.data(RequestEmailVerificationDocument)).requestEmailVerification).toBe(true);
    const second = await eventually(() => {
      const rows = graph.mailbox.to(user.email).filter((m) => m.subject === 'Verify your email address');
      expect(rows).toHaveLength(2);
      return rows.map((r) => /: (\d{6})/.exec(r.body)![1]).find((c) => c !== first) ?? first;
    });
    if (second !== first) expect(codeOf(await user.client.request(VerifyEmailDocument, { code: first }))).toBe('INVALID_VERIFICATION_CODE');
    expect((await user.client.data(VerifyEmailDocument, { code: second })).verifyEmail.emailVerified).toBe(true);
  });

  it('gives up on a code after five wrong tries', async () => {
    const user = await signUpUser(anonymous);
    const code = await mailedCode(user.email, 'Verify your email address');
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) expect(codeOf(await user.client.request(VerifyEmailDocument, { code: wrong }))).toBe('INVALID_VERIFICATION_CODE');
    expect(codeOf(await user.client.request(VerifyEmailDocument, { code }))).toBe('INVALID_VERIFICATION_CODE');
  });

  it('counts a confirmed email change as verifying the new address', async () => {
    const user = await signUpUser(anonymous);
    const newEmail = uniqueEmail('moved');
    await user.client.data(RequestEmailChangeDocument, { newEmail });
    const code = await mailedCode(newEmail, 'Confirm your new email address');
    // verifyEmail only verifies the address the account has; a change needs confirmEmailChange.
    expect(codeOf(await user.client.request(VerifyEmailDocument, { code }))).toBe('INVALID_VERIFICATION_CODE');
    await user.client.data(ConfirmEmailChangeDocument, { code });
    expect((await user.client.data(MeDocument)).me?.email).toBe(newEmail);
    expect(await emailVerified(user.client)).toEqual({ me: { emailVerified: true } });
    expect(await verifiedEvents(user.id)).toEqual([{ userId: user.id, email: newEmail }]);
  });
});
