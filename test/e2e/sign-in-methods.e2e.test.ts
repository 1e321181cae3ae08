import { randomBytes } from 'node:crypto';
import { base32Decode, hotp, totpStep } from '../../subgraphs/identity/mfa/totp';
import {
  CompleteMfaChallengeDocument,
  ConfirmEmailChangeDocument,
  ConfirmMfaEnrollmentDocument,
  CreateTeamDocument,
  DeleteAccountDocument,
  RequestEmailChangeDocument,
  RequestEmailVerificationDocument,
  RestoreAccountWithTokenDocument,
  StartMfaEnrollmentDocument,
} from '../operations/generated';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { lastMailTo, PASSWORD, signUpUser, uniqueEmail } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';
import { startOpenIdProvider, type TestOpenIdProvider } from '../support/oidc-provider';

let graph: TestGraph;
let anonymous: GraphClient;
let google: TestOpenIdProvider;
let x: TestOpenIdProvider;

beforeAll(async () => {
  google = await startOpenIdProvider('google');
  x = await startOpenIdProvider('x');
  graph = await startGraph({ subgraphs: { identityOAuth: { GOOGLE: google.config, X: x.config } } });
  anonymous = new GraphClient(graph.url);
});

afterAll(async () => {
  await graph?.stop();
  await google?.stop();
  await x?.stop();
});

type Gql = { data?: Record<string, any> | null; errors?: readonly { extensions?: Record<string, unknown> }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
const codeOf = (r: Gql) => r.errors?.[0]?.extensions?.code;
const AUTH_RESULT = `__typename ... on AuthSession { token user { id email } } ... on AccountChoiceRequired { email existingMethods } ... on MfaChallenge { challengeId }`;

async function oauth(client: GraphClient, provider: 'GOOGLE' | 'X', accountId: string, separate = false): Promise<Gql> {
  const started = (await client.request(`mutation($p: SignInMethodKind!, $s: Boolean) { startOAuthSignIn(provider: $p, createSeparateAccount: $s) { authorizationUrl state } }`, { p: provider, s: separate })) as Gql;
  if (started.errors) return started;
  const { authorizationUrl, state } = started.data!.startOAuthSignIn;
  const url = new URL(authorizationUrl);
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  expect(url.searchParams.get('state')).toBe(state);
  const callback = await (provider === 'GOOGLE' ? google : x).authorize(authorizationUrl, accountId);
  const done = (await anonymous.request(`mutation($p: SignInMethodKind!, $c: String!, $s: String!) { completeOAuthSignIn(provider: $p, code: $c, state: $s) { ${AUTH_RESULT} } }`, { p: provider, c: callback.code, s: callback.state })) as Gql;
  return done;
}

const methodsOf = async (client: GraphClient) => ((await client.request('{ me { signInMethods { kind } } }')) as Gql).data!.me.signInMethods.map((m: { kind: string }) => m.kind);

async function auditTypes(userId: string): Promise<string[]> {
  const rows: { event_type: string }[] = await graph.apps.audit.infra.dataSource.query(`SELECT event_type FROM audit.audit_events WHERE actor_user_id = $1`, [userId]);
  return rows.map((r) => r.event_type);
}

describe('signing up with Google', () => {
  it('creates an account with a GOOGLE method, and signs the same Google user in to it again', async () => {
    const sub = `g-${randomBytes(4).toString('hex')}`;
    const email = uniqueEmail('google');
    google.accounts.set(sub, { email, email_verified: true });
    const first = await oauth(anonymous, 'GOOGLE', sub);
    expect(first.data?.completeOAuthSignIn).toMatchObject({ __typename: 'AuthSession', user: { email } });
    const client = anonymous.as(first.data!.completeOAuthSignIn.token);
    expect(await methodsOf(client)).toEqual(['GOOGLE']);

    const again = await oauth(anonymous, 'GOOGLE', sub);
    expect(again.data?.completeOAuthSignIn.user.id).toBe(first.data!.completeOAuthSignIn.user.id);
  });

  it('refuses a replayed state', async () => {
    const sub = `g-${randomBytes(4).toString('hex')}`;
    google.accounts.set(sub, { email: uniqueEmail('replay'), email_verified: true });
    const started = (await anonymous.request(`mutation { startOAuthSignIn(provider: GOOGLE) { authorizationUrl state } }`)) as Gql;
    const cb = await google.authorize(started.data!.startOAuthSignIn.authorizationUrl, sub);
    const complete = `mutation($c: String!, $s: String!) { completeOAuthSignIn(provider: GOOGLE, code: $c, state: $s) { __typename } }`;
    expect(((await anonymous.request(complete, { c: cb.code, s: cb.state })) as Gql).data?.completeOAuthSignIn.__typename).toBe('AuthSession');
    expect(codeOf((await anonymous.request(complete, { c: cb.code, s: cb.state })) as Gql)).toBe('OAUTH_FAILED');
  });
});

describe('several accounts per email', () => {
  it('asks for a choice, then makes a separate account only when told to; never merges', async () => {
    const owner = await signUpUser(anonymous);
    const sub = `g-${randomBytes(4).toString('hex')}`;
    google.accounts.set(sub, { email: owner.email, email_verified: true });
    const choice = await oauth(anonymous, 'GOOGLE', sub);
    expect(choice.data?.completeOAuthSignIn).toEqual({ __typename: 'AccountChoiceRequired', email: owner.email, existingMethods: ['EMAIL_PASSWORD'] });

    const separate = await oauth(anonymous, 'GOOGLE', sub, true);
    expect(separate.data?.completeOAuthSignIn.__typename).toBe('AuthSession');
    expect(separate.data!.completeOAuthSignIn.user.id).not.toBe(owner.id);
    expect(await methodsOf(owner.client)).toEqual(['EMAIL_PASSWORD']);

    // A password sign-up with an email a Google account uses gets the same choice.
    const googleOnly = `g-${randomBytes(4).toString('hex')}`;
    const email = uniqueEmail('shared');
    google.accounts.set(googleOnly, { email, email_verified: true });
    await oauth(anonymous, 'GOOGLE', googleOnly);
    const signUp = (await anonymous.request(`mutation($e: String!, $p: String!) { signUp(input: { email: $e, password: $p }) { ${AUTH_RESULT} } }`, { e: email, p: PASSWORD })) as Gql;
    expect(signUp.data?.signUp).toEqual({ __typename: 'AccountChoiceRequired', email, existingMethods: ['GOOGLE'] });
  });

  it('links Google to an existing account only for its signed-in owner', async () => {
    const owner = await signUpUser(anonymous);
    const sub = `g-${randomBytes(4).toString('hex')}`;
    google.accounts.set(sub, { email: owner.email, email_verified: true });
    const linked = await oauth(owner.client, 'GOOGLE', sub);
    expect(linked.data?.completeOAuthSignIn.user.id).toBe(owner.id);
    expect((await methodsOf(owner.client)).sort()).toEqual(['EMAIL_PASSWORD', 'GOOGLE']);
    // Signing in with Google now reaches the same account.
    expect((await oauth(anonymous, 'GOOGLE', sub)).data?.completeOAuthSignIn.user.id).toBe(owner.id);
    await eventually(async () => expect(await auditTypes(owner.id)).toContain('identity.sign_in_method.added'));

    // Without a recent sign-in there is no linking.
    await graph.apps.identity.infra.dataSource.query(`UPDATE identity.sessions SET created_at = created_at - interval '10 minutes' WHERE user_id = $1`, [owner.id]);
    expect(codeOf(await oauth(owner.client, 'X', `x-${randomBytes(4).toString('hex')}`))).toBe('REAUTHENTICATION_REQUIRED');
  });
});

describe('removing sign-in methods', () => {
  it('removes all but the last one, with an audit event', async () => {
    const owner = await signUpUser(anonymous);
    expect(codeOf((await owner.client.request('mutation { removeSignInMethod(kind: EMAIL_PASSWORD) { kind } }')) as Gql)).toBe('LAST_SIGN_IN_METHOD');
    const sub = `g-${randomBytes(4).toString('hex')}`;
    google.accounts.set(sub, { email: owner.email, email_verified: true });
    await oauth(owner.client, 'GOOGLE', sub);
    const removed = (await owner.client.request('mutation { removeSignInMethod(kind: EMAIL_PASSWORD) { kind } }')) as Gql;
    expect(removed.data?.removeSignInMethod).toEqual([{ kind: 'GOOGLE' }]);
    // The password no longer signs in.
    expect(codeOf((await anonymous.request(`mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { __typename } }`, { e: owner.email, p: PASSWORD })) as Gql)).toBe('INVALID_CREDENTIALS');
    expect(codeOf((await owner.client.request('mutation { removeSignInMethod(kind: GOOGLE) { kind } }')) as Gql)).toBe('LAST_SIGN_IN_METHOD');
    await eventually(async () => expect(await auditTypes(owner.id)).toContain('identity.sign_in_method.removed'));
  });
});

describe('signing up with X', () => {
  it('records the subscription, and the account has no email until one is verified by a mailed code', async () => {
    const sub = `x-${randomBytes(4).toString('hex')}`;
    x.accounts.set(sub, { subscription_type: 'Premium' });
    const result = await oauth(anonymous, 'X', sub);
    expect(result.data?.completeOAuthSignIn.__typename).toBe('AuthSession');
    const client = anonymous.as(result.data!.completeOAuthSignIn.token);
    const me = ((await client.request('{ me { emailVerified xSubscription signInMethods { kind } } }')) as Gql).data!.me;
    expect(me).toEqual({ emailVerified: false, xSubscription: 'Premium', signInMethods: [{ kind: 'X' }] });

    const email = uniqueEmail('x');
    expect(((await client.request(`mutation($e: String!) { requestEmailChange(newEmail: $e) }`, { e: email })) as Gql).data?.requestEmailChange).toBe(true);
    const code = /(\d{6})/.exec((await lastMailTo(graph.mailbox, email)).body)![1];
    await client.request(`mutation($c: String!) { confirmEmailChange(code: $c) { id } }`, { c: code });
    expect(((await client.request('{ me { email emailVerified } }')) as Gql).data!.me).toEqual({ email, emailVerified: true });
  });
});

describe('an X account without a verified email', () => {
  it('can only add and verify an email, see itself, sign out or delete itself until then', async () => {
    const sub = `x-${randomBytes(4).toString('hex')}`;
    x.accounts.set(sub, {});
    const client = anonymous.as((await oauth(anonymous, 'X', sub)).data!.completeOAuthSignIn.token);

    expect(codeOf((await client.request(CreateTeamDocument, { input: { name: 'Too early' } })) as Gql)).toBe('EMAIL_VERIFICATION_REQUIRED');
    expect(codeOf((await client.request('mutation { revokeAllSessions }')) as Gql)).toBe('EMAIL_VERIFICATION_REQUIRED');
    expect(codeOf((await client.request('mutation { startMfaEnrollment { secret } }')) as Gql)).toBe('EMAIL_VERIFICATION_REQUIRED');
    expect(codeOf((await client.request(`mutation { addPasswordSignInMethod(password: "${PASSWORD}") { kind } }`)) as Gql)).toBe('EMAIL_VERIFICATION_REQUIRED');
    expect(codeOf((await client.request('mutation { startOAuthSignIn(provider: GOOGLE) { state } }')) as Gql)).toBe('EMAIL_VERIFICATION_REQUIRED');
    // Allowed, but there is no address to verify yet: it is added with requestEmailChange.
    expect(codeOf((await client.request(RequestEmailVerificationDocument)) as Gql)).toBe('BAD_USER_INPUT');
    expect(((await client.request('{ me { id emailVerified } }')) as Gql).data!.me.emailVerified).toBe(false);

    const email = uniqueEmail('x-gated');
    await client.data(RequestEmailChangeDocument, { newEmail: email });
    const code = /(\d{6})/.exec((await lastMailTo(graph.mailbox, email)).body)![1];
    await client.data(ConfirmEmailChangeDocument, { code });
    // Usable from the next request on.
    expect(((await client.request(CreateTeamDocument, { input: { name: 'Now' } })) as Gql).errors).toBeUndefined();
    expect(((await client.request('mutation { revokeAllSessions }')) as Gql).data?.revokeAllSessions).toBe(0);
  });

  it('may sign out, or delete the account', async () => {
    const signOutSub = `x-${randomBytes(4).toString('hex')}`;
    x.accounts.set(signOutSub, {});
    const leaving = anonymous.as((await oauth(anonymous, 'X', signOutSub)).data!.completeOAuthSignIn.token);
    expect(((await leaving.request('mutation { signOut }')) as Gql).data?.signOut).toBe(true);
    expect(codeOf((await leaving.request('{ me { id } }')) as Gql)).toBe('UNAUTHENTICATED');

    const deleteSub = `x-${randomBytes(4).toString('hex')}`;
    x.accounts.set(deleteSub, {});
    const deleting = anonymous.as((await oauth(anonymous, 'X', deleteSub)).data!.completeOAuthSignIn.token);
    expect(((await deleting.request(DeleteAccountDocument)) as Gql).data?.deleteAccount.restoreBefore).toBeTruthy();
  });
});

describe('email verification through Google', () => {
  it('verifies at once an address Google says is verified, and gates an account whose address Google did not verify', async () => {
    const sub = `g-${randomBytes(4).toString('hex')}`;
    const email = uniqueEmail('gverified');
    google.accounts.set(sub, { email, email_verified: true });
    const done = await oauth(anonymous, 'GOOGLE', sub);
    const client = anonymous.as(done.data!.completeOAuthSignIn.token);
    expect(((await client.request('{ me { email emailVerified } }')) as Gql).data!.me).toEqual({ email, emailVerified: true });
    const events = await graph.apps.identity.infra.dataSource.query(`SELECT envelope FROM identity.outbox WHERE type = 'identity.user.email_verified' AND aggregate_id = $1`, [done.data!.completeOAuthSignIn.user.id]);
    expect(events.map((e: { envelope: { payload: unknown } }) => e.envelope.payload)).toEqual([{ userId: done.data!.completeOAuthSignIn.user.id, email }]);

    const unverifiedSub = `g-${randomBytes(4).toString('hex')}`;
    google.accounts.set(unverifiedSub, { email: uniqueEmail('gunverified'), email_verified: false });
    const gated = anonymous.as((await oauth(anonymous, 'GOOGLE', unverifiedSub)).data!.completeOAuthSignIn.token);
    expect(((await gated.request('{ me { email emailVerified } }')) as Gql).data!.me).toEqual({ email: '', emailVerified: false });
    expect(codeOf((await gated.request(CreateTeamDocument, { input: { name: 'Too early' } })) as Gql)).toBe('EMAIL_VERIFICATION_REQUIRED');
  });
});

describe('restoring a deleted account through X or Google', () => {
  const RESTORE = `__typename ... on AccountRestoreRequired { restoreBefore restoreToken } ... on AuthSession { token user { id } } ... on MfaChallenge { challengeId }`;

  async function deletedGoogleUser(): Promise<{ sub: string; userId: string; client: GraphClient }> {
    const sub = `g-${randomBytes(4).toString('hex')}`;
    google.accounts.set(sub, { email: uniqueEmail('restore'), email_verified: true });
    const done = await oauth(anonymous, 'GOOGLE', sub);
    const client = anonymous.as(done.data!.completeOAuthSignIn.token);
    await client.data(DeleteAccountDocument);
    return { sub, userId: done.data!.completeOAuthSignIn.user.id, client };
  }

  /** Signs in with the provider and returns what completeOAuthSignIn answered, with the restore fields. */
  async function oauthRestore(provider: 'GOOGLE' | 'X', sub: string): Promise<Gql> {
    const started = (await anonymous.request(`mutation($p: SignInMethodKind!) { startOAuthSignIn(provider: $p) { authorizationUrl state } }`, { p: provider })) as Gql;
    const cb = await (provider === 'GOOGLE' ? google : x).authorize(started.data!.startOAuthSignIn.authorizationUrl, sub);
    return (await anonymous.request(`mutation($p: SignInMethodKind!, $c: String!, $s: String!) { completeOAuthSignIn(provider: $p, code: $c, state: $s) { ${RESTORE} } }`, { p: provider, c: cb.code, s: cb.state })) as Gql;
  }

  it('offers a single-use restore token that restores the account without a password', async () => {
    const { sub, userId } = await deletedGoogleUser();
    const offered = (await oauthRestore('GOOGLE', sub)).data!.completeOAuthSignIn;
    expect(offered.__typename).toBe('AccountRestoreRequired');
    expect(offered.restoreToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    expect(codeOf((await anonymous.request(RestoreAccountWithTokenDocument, { withToken: { restoreToken: 'A'.repeat(43) } })) as Gql)).toBe('RESTORE_TOKEN_INVALID');
    const restored = await anonymous.data(RestoreAccountWithTokenDocument, { withToken: { restoreToken: offered.restoreToken } });
    expect(restored.restoreAccount).toMatchObject({ __typename: 'AuthSession', user: { id: userId } });
    expect(codeOf((await anonymous.request(RestoreAccountWithTokenDocument, { withToken: { restoreToken: offered.restoreToken } })) as Gql)).toBe('RESTORE_TOKEN_INVALID');
    expect((await oauthRestore('GOOGLE', sub)).data!.completeOAuthSignIn.__typename).toBe('AuthSession');
    await eventually(async () => expect(await auditTypes(userId)).toContain('identity.user.restored'));
  });

  it('refuses an expired restore token, and still asks for the second factor', async () => {
    const { sub, userId } = await deletedGoogleUser();
    const stale = (await oauthRestore('GOOGLE', sub)).data!.completeOAuthSignIn.restoreToken;
    await graph.apps.identity.infra.dataSource.query(`UPDATE identity.restore_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [userId]);
    expect(codeOf((await anonymous.request(RestoreAccountWithTokenDocument, { withToken: { restoreToken: stale } })) as Gql)).toBe('RESTORE_TOKEN_INVALID');

    // With MFA on, the restore token leads to the usual challenge.
    await graph.apps.identity.infra.dataSource.query(`UPDATE identity.users SET deleted_at = NULL WHERE id = $1`, [userId]);
    const client = anonymous.as((await oauthRestore('GOOGLE', sub)).data!.completeOAuthSignIn.token);
    const { startMfaEnrollment } = await client.data(StartMfaEnrollmentDocument);
    const totp = (offset: number) => hotp(base32Decode(startMfaEnrollment.secret), totpStep(Date.now()) + offset);
    await client.data(ConfirmMfaEnrollmentDocument, { totp: totp(0) });
    await client.data(DeleteAccountDocument);
    const token = (await oauthRestore('GOOGLE', sub)).data!.completeOAuthSignIn.restoreToken;
    const asked = await anonymous.data(RestoreAccountWithTokenDocument, { withToken: { restoreToken: token } });
    expect(asked.restoreAccount.__typename).toBe('MfaChallenge');
    const done = await anonymous.data(CompleteMfaChallengeDocument, { challengeId: (asked.restoreAccount as { challengeId: string }).challengeId, totp: totp(1) });
    expect(done.completeMfaChallenge).toMatchObject({ __typename: 'AuthSession', user: { id: userId } });
  });

  it('asks for exactly one of the credentials or a restore token', async () => {
    const both = (await anonymous.request(`mutation { restoreAccount(input: { email: "a@example.com", password: "x" }, withToken: { restoreToken: "x" }) { __typename } }`)) as Gql;
    expect(codeOf(both)).toBe('BAD_USER_INPUT');
    expect(codeOf((await anonymous.request(`mutation { restoreAccount { __typename } }`)) as Gql)).toBe('BAD_USER_INPUT');
  });

  it('refuses the sign-in after the 30 days', async () => {
    const sub = `x-${randomBytes(4).toString('hex')}`;
    x.accounts.set(sub, {});
    const done = await oauth(anonymous, 'X', sub);
    await anonymous.as(done.data!.completeOAuthSignIn.token).data(DeleteAccountDocument);
    expect((await oauthRestore('X', sub)).data!.completeOAuthSignIn.__typename).toBe('AccountRestoreRequired');
    await graph.apps.identity.infra.dataSource.query(`UPDATE identity.users SET deleted_at = now() - interval '30 days 1 minute' WHERE id = $1`, [done.data!.completeOAuthSignIn.user.id]);
    expect(codeOf(await oauthRestore('X', sub))).toBe('INVALID_CREDENTIALS');
  });
});
