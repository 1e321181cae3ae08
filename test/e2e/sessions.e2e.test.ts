import {
  CreditBalanceChangedDocument,
  MeDocument,
  RevokeAllSessionsDocument,
  RevokeSessionDocument,
  SessionsOfMeDocument,
  SignInDocument,
  SignOutDocument,
} from '../operations/generated';
import { GraphClient, subscribe } from '../support/client';
import { eventually } from '../support/eventually';
import { PASSWORD, signUpUser, signUpUserWithTeam, uniqueEmail } from '../support/factories';
import { useGraph, type TestGraph } from '../support/graph';

let graph: TestGraph;
let anonymous: GraphClient;
// The production default for re-checking WebSocket sessions.
useGraph((started) => ({ graph, anonymous } = started));

async function signIn(email: string, password = PASSWORD) {
  return anonymous.request(SignInDocument, { input: { email, password } });
}

async function secondSession(email: string): Promise<GraphClient> {
  const result = await signIn(email);
  const auth = result.data!.signIn;
  if (auth.__typename !== 'AuthSession') throw new Error('expected a session');
  return anonymous.as(auth.token);
}

describe('signing in', () => {
  it('opens a new session for the right password', async () => {
    const user = await signUpUser(anonymous);
    const other = await secondSession(user.email);
    expect((await other.data(MeDocument)).me?.id).toBe(user.id);
  });

  it('answers an unknown email and a wrong password identically', async () => {
    const user = await signUpUser(anonymous);
    const wrongPassword = await signIn(user.email, 'not the password at all');
    const unknownEmail = await signIn(uniqueEmail('nobody'), 'not the password at all');
    expect(wrongPassword.errors?.[0].extensions?.code).toBe('INVALID_CREDENTIALS');
    expect(unknownEmail.errors).toEqual(wrongPassword.errors);
  });

  it('rate limits repeated failures for one account, whether or not it exists', async () => {
    for (const email of [(await signUpUser(anonymous)).email, uniqueEmail('ghost')]) {
      for (let i = 0; i < 10; i++) expect((await signIn(email, 'wrong password!')).errors?.[0].extensions?.code).toBe('INVALID_CREDENTIALS');
      const limited = await signIn(email, 'wrong password!');
      expect(limited.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
      expect(limited.errors?.[0].extensions?.retryAfterSeconds).toBeGreaterThan(0);
    }
  });
});

describe('sessions', () => {
  it('lists the user’s own sessions and marks the current one', async () => {
    const user = await signUpUser(anonymous);
    await secondSession(user.email);
    const me = await user.client.data(SessionsOfMeDocument);
    expect(me.me?.sessions).toHaveLength(2);
    expect(me.me?.sessions.filter((s) => s.current)).toHaveLength(1);
  });

  it('ends a session on sign-out', async () => {
    const user = await signUpUser(anonymous);
    expect((await user.client.data(SignOutDocument)).signOut).toBe(true);
    expect((await user.client.request(MeDocument)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('revokes another of the user’s sessions, effective on its very next request', async () => {
    const user = await signUpUser(anonymous);
    const laptop = await secondSession(user.email);
    const laptopSessionId = (await laptop.data(SessionsOfMeDocument)).me!.sessions.find((s) => s.current)!.id;
    const revokedAt = Date.now();
    expect((await user.client.data(RevokeSessionDocument, { id: laptopSessionId })).revokeSession).toBe(true);
    const after = await laptop.request(MeDocument);
    expect(after.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    expect((await user.client.data(MeDocument)).me?.id).toBe(user.id);
  });

  it("cannot revoke someone else's session", async () => {
    const victim = await signUpUser(anonymous);
    const victimSessionId = (await victim.client.data(SessionsOfMeDocument)).me!.sessions[0].id;
    const attacker = await signUpUser(anonymous);
    const result = await attacker.client.request(RevokeSessionDocument, { id: victimSessionId });
    expect(result.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await victim.client.data(MeDocument)).me?.id).toBe(victim.id);
  });

  it('clears every other session and keeps the current one', async () => {
    const user = await signUpUser(anonymous);
    const others = [await secondSession(user.email), await secondSession(user.email)];
    expect((await user.client.data(RevokeAllSessionsDocument)).revokeAllSessions).toBe(2);
    for (const other of others) expect((await other.request(MeDocument)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await user.client.data(MeDocument)).me?.id).toBe(user.id);
  });

  it('closes an open subscription of a revoked session within 5 seconds', async () => {
    const user = await signUpUserWithTeam(anonymous);
    const phone = await secondSession(user.email);
    const phoneSessionId = (await phone.data(SessionsOfMeDocument)).me!.sessions.find((s) => s.current)!.id;
    const ws = phone.ws();
    let closedAt = 0;
    ws.on('closed', () => (closedAt ||= Date.now()));
    const sub = subscribe(ws, CreditBalanceChangedDocument, { teamId: user.personalTeamId });
    await new Promise((r) => setTimeout(r, 300)); // connected and subscribed
    const revokedAt = Date.now();
    await user.client.data(RevokeSessionDocument, { id: phoneSessionId });
    await eventually(() => expect(closedAt).toBeGreaterThan(0), 5000, 20);
    expect(closedAt - revokedAt).toBeLessThan(5000);
    sub.unsubscribe();
    await ws.dispose();
  });

  it('refuses a WebSocket connection with a dead token', async () => {
    const ws = anonymous.as('cgs_' + 'y'.repeat(43)).ws();
    const sub = subscribe(ws, CreditBalanceChangedDocument, { teamId: '00000000-0000-0000-0000-000000000000' });
    await expect(sub.next(3000)).rejects.toBeDefined();
    await ws.dispose();
  });
});
