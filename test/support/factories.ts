import { randomBytes } from 'node:crypto';
import type { BillingServices } from '../../subgraphs/billing/billing.context';
import { CreateApiKeyDocument, MeDocument, SignUpDocument, VerifyEmailDocument } from '../operations/generated';
import type { GraphClient } from './client';
import { eventually } from './eventually';
import type { TestGraph } from './graph';
import type { Mailbox, ReceivedMail } from './smtp-server';

let counter = 0;

export const uniqueEmail = (prefix = 'user') => `${prefix}.${++counter}.${randomBytes(3).toString('hex')}@example.com`;
export const PASSWORD = 'correct horse battery staple';

export interface SignedUpUser {
  id: string;
  email: string;
  token: string;
  client: GraphClient;
}

/** Signs a new user up through the gateway and returns a client authenticated as them. */
export async function signUpUser(anonymous: GraphClient, overrides: { email?: string; password?: string } = {}): Promise<SignedUpUser> {
  const email = overrides.email ?? uniqueEmail();
  const data = await anonymous.data(SignUpDocument, { input: { email, password: overrides.password ?? PASSWORD } });
  if (data.signUp.__typename !== 'AuthSession') throw new Error(`unexpected ${data.signUp.__typename}`);
  return { id: data.signUp.user.id, email, token: data.signUp.token, client: anonymous.as(data.signUp.token) };
}

/** A signed-up user whose Personal Team exists (it is created from the sign-up event). */
export async function signUpUserWithTeam(anonymous: GraphClient): Promise<SignedUpUser & { personalTeamId: string }> {
  const user = await signUpUser(anonymous);
  const personalTeamId = await eventually(async () => {
    const me = await user.client.data(MeDocument);
    const team = me.me?.teams.find((t) => t.team.isPersonal);
    if (!team) throw new Error('personal team not created yet');
    return team.team.id;
  });
  return { ...user, personalTeamId };
}

/**
 * The latest mail the SMTP server received for this address (with this subject), once at least
 * `count` such mails have arrived: mail leaves after the change commits, so the test waits for it.
 */
export async function lastMailTo(mailbox: Mailbox, recipient: string, subject?: string, count = 1): Promise<ReceivedMail> {
  return eventually(() => {
    const mails = mailsTo(mailbox, recipient, subject);
    if (mails.length < count) throw new Error(`${mails.length} of ${count} mails to ${recipient}${subject ? ` about "${subject}"` : ''} so far`);
    return mails.at(-1)!;
  });
}

/** Every mail the SMTP server has received so far for this address (with this subject), oldest first. */
export function mailsTo(mailbox: Mailbox, recipient: string, subject?: string): ReceivedMail[] {
  return mailbox.to(recipient).filter((m) => subject === undefined || m.subject === subject);
}

/**
 * Waits until Identity's and Team's mail outboxes hold nothing unsent: everything committed so far
 * is in the mailbox, so a test can assert that some mail was NOT sent.
 */
export async function allMailSent(graph: TestGraph): Promise<void> {
  await eventually(async () => {
    for (const name of ['identity', 'team'] as const) {
      const [{ pending }] = await graph.apps[name].infra.dataSource.query(`SELECT count(*)::int AS pending FROM "${name}".outgoing_emails WHERE sent_at IS NULL`);
      if (pending) throw new Error(`${pending} mails of ${name} not sent yet`);
    }
  });
}

/** Verifies the user's email with the code mailed at sign-up, as the user would. */
export async function verifyEmailOf(user: SignedUpUser, mailbox: Mailbox): Promise<void> {
  const mail = await lastMailTo(mailbox, user.email, 'Verify your email address');
  const code = /verify your email address: (\d{6})/.exec(mail.body)![1];
  const verified = await user.client.data(VerifyEmailDocument, { code });
  if (!verified.verifyEmail.emailVerified) throw new Error('email not verified');
}

/**
 * Verifies the user's email and waits until Team has learnt of it (through Identity's event), so
 * Admins can add them by address. Without it Team treats the address as typed, not owned.
 */
export async function verifyEmailForTeams(user: SignedUpUser, graph: TestGraph): Promise<void> {
  await verifyEmailOf(user, graph.mailbox);
  await eventually(async () => {
    const rows: unknown[] = await graph.apps.team.infra.dataSource.query(
      `SELECT 1 FROM team.user_directory WHERE user_id = $1 AND email_verified AND lower(email) = lower($2)`,
      [user.id, user.email],
    );
    if (!rows.length) throw new Error(`Team does not know ${user.email} is verified yet`);
  });
}

/** A signed-up user with a Personal Team whose verified address Team knows: addable to teams by email. */
export async function signUpVerifiedUserWithTeam(anonymous: GraphClient, graph: TestGraph): Promise<SignedUpUser & { personalTeamId: string }> {
  const user = await signUpUserWithTeam(anonymous);
  await verifyEmailForTeams(user, graph);
  return user;
}

/**
 * Creates an API key of the team through the gateway as `user`, and waits until Billing has it
 * (from Team's `team.api_key.created` event), so usage reported with it is billed to the team.
 */
export async function createBilledApiKey(graph: TestGraph, user: SignedUpUser, teamId: string, name = 'billed key'): Promise<string> {
  const created = await user.client.data(CreateApiKeyDocument, { teamId, input: { name } });
  const keyId = created.createApiKey.apiKey.id;
  await eventually(async () => {
    const [known] = await (graph.apps.billing.services as BillingServices).apiKeys.findByIds([keyId]);
    if (!known) throw new Error('Billing has not seen the key yet');
  });
  return keyId;
}
