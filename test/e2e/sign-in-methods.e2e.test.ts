import { randomBytes } from 'node:crypto';
import { GraphClient } from '../support/client';
import { eventually } from '../support/eventually';
import { PASSWORD, signUpUser, uniqueEmail } from '../support/factories';
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
    const code = await eventually(async () => {
      const rows: { body: string }[] = await graph.apps.identity.infra.dataSource.query(`SELECT body FROM identity.outgoing_emails WHERE recipient = $1`, [email]);
      const found = rows.map((r) => /(\d{6})/.exec(r.body)?.[1]).find(Boolean);
      if (!found) throw new Error('no code mailed yet');
      return found;
    });
    await client.request(`mutation($c: String!) { confirmEmailChange(code: $c) { id } }`, { c: code });
    expect(((await client.request('{ me { email emailVerified } }')) as Gql).data!.me).toEqual({ email, emailVerified: true });
  });
});
