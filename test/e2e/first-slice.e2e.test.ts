import {
  CreateTeamDocument,
  CreditBalanceChangedDocument,
  MeDocument,
  SignUpDocument,
} from '../operations/generated';
import type { CreditBalanceService } from '../../subgraphs/billing/balance/credit-balance.service';
import { GraphClient, subscribe } from '../support/client';
import { eventually } from '../support/eventually';
import { signUpUser, signUpUserWithTeam, uniqueEmail, PASSWORD } from '../support/factories';
import { useGraph, type TestGraph } from '../support/graph';

let graph: TestGraph;
let anonymous: GraphClient;
useGraph((started) => ({ graph, anonymous } = started));

const balances = () => (graph.apps.billing.services as { balances: CreditBalanceService }).balances;

describe('sign-up through the gateway', () => {
  it('returns a session token and the new user', async () => {
    const email = uniqueEmail('signup');
    const data = await anonymous.data(SignUpDocument, { input: { email, password: PASSWORD } });
    expect(data.signUp.__typename).toBe('AuthSession');
    if (data.signUp.__typename !== 'AuthSession') return;
    expect(data.signUp.token).toMatch(/^cgs_[A-Za-z0-9_-]{43}$/);
    expect(data.signUp.user.email).toBe(email);
    expect(new Date(data.signUp.expiresAt).getTime()).toBeGreaterThan(Date.now());
  });

  it('stores only an argon2id hash of the password', async () => {
    const user = await signUpUser(anonymous);
    const [row] = await graph.apps.identity.infra.dataSource.query('SELECT password_hash FROM identity.users WHERE id = $1', [user.id]);
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  it('gives the new user a Personal Team as its Admin, seen across Identity, Team and Billing in one request', async () => {
    const user = await signUpUser(anonymous);
    const me = await eventually(async () => {
      const data = await user.client.data(MeDocument);
      if (!data.me?.teams.length) throw new Error('no team yet');
      return data.me;
    });
    expect(me.id).toBe(user.id);
    expect(me.email).toBe(user.email);
    expect(me.teams).toHaveLength(1);
    expect(me.teams[0].role).toBe('ADMIN');
    expect(me.teams[0].team).toMatchObject({ name: 'Personal Team', isPersonal: true });
    expect(me.teams[0].team.creditBalance.available).toEqual({ ticks: '0', usd: '0.0000000000' });
  });

  it('records the sign-up in the audit log, once', async () => {
    const user = await signUpUser(anonymous);
    const rows = await eventually(async () => {
      const found = await graph.apps.audit.infra.dataSource.query(
        `SELECT description, actor_user_id FROM audit.audit_events WHERE event_type = 'identity.user.signed_up' AND actor_user_id = $1`,
        [user.id],
      );
      if (found.length === 0) throw new Error('not recorded yet');
      return found;
    });
    expect(rows).toEqual([{ description: 'SignUp', actor_user_id: user.id }]);
  });

  it('answers me with null for an anonymous caller', async () => {
    const data = await anonymous.data(MeDocument);
    expect(data.me).toBeNull();
  });
});

describe('batched entity resolution', () => {
  it('loads each entity type with one SQL statement per request, however many teams', async () => {
    const user = await signUpUserWithTeam(anonymous);
    for (const name of ['Alpha', 'Beta', 'Gamma', 'Delta']) await user.client.data(CreateTeamDocument, { input: { name } });

    const billing = graph.apps.billing.infra.statements;
    const team = graph.apps.team.infra.statements;
    const identity = graph.apps.identity.infra.statements;
    let result: Awaited<ReturnType<typeof user.client.data<unknown, unknown>>> | undefined;
    const b = await billing.capture(async () => {
      const t = await team.capture(async () => {
        const i = await identity.capture(async () => {
          result = await user.client.data(MeDocument);
        });
        return i;
      });
      return t;
    });
    const me = (result as { me: { teams: unknown[] } }).me;
    expect(me.teams).toHaveLength(5);

    const count = (statements: string[], table: string) => statements.filter((s) => s.includes(table)).length;
    expect(count(b.statements, 'credit_balances')).toBe(1);
    const teamStatements = b.result.statements;
    expect(count(teamStatements, '"teams"')).toBe(1);
    // One lookup for the gateway's principal and one for User.teams.
    expect(count(teamStatements, '"memberships"')).toBe(2);
    expect(count(b.result.result.statements, '"users"')).toBe(1);
  });
});

describe('live credit balance', () => {
  it('delivers a balance change published by Billing to a subscriber through the gateway', async () => {
    const user = await signUpUserWithTeam(anonymous);
    const ws = user.client.ws();
    try {
      const sub = subscribe(ws, CreditBalanceChangedDocument, { teamId: user.personalTeamId });
      // The subscription is live once the subgraph has it; publish until the first change arrives.
      const first = await eventually(async () => {
        await balances().post({ teamId: user.personalTeamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: 1_000_000_000n, actor: null });
        return sub.next(500);
      });
      expect(first.errors).toBeUndefined();
      expect(first.data?.creditBalanceChanged.teamId).toBe(user.personalTeamId);
      const ticks = BigInt(first.data!.creditBalanceChanged.prepaid.ticks);
      expect(ticks % 1_000_000_000n).toBe(0n);
      expect(ticks).toBeGreaterThan(0n);

      await balances().post({ teamId: user.personalTeamId, kind: 'ADJUSTMENT', prepaidDeltaTicks: 123_400_000_000n, actor: null });
      let next = await sub.next();
      while (BigInt(next.data!.creditBalanceChanged.prepaid.ticks) < ticks + 123_400_000_000n) next = await sub.next();
      expect(next.data!.creditBalanceChanged.prepaid).toEqual({
        ticks: (ticks + 123_400_000_000n).toString(),
        usd: `${(ticks + 123_400_000_000n) / 10_000_000_000n}.${((ticks + 123_400_000_000n) % 10_000_000_000n).toString().padStart(10, '0')}`,
      });
      sub.unsubscribe();
    } finally {
      await ws.dispose();
    }
  });

  it("refuses a subscription to another team's balance", async () => {
    const owner = await signUpUserWithTeam(anonymous);
    const stranger = await signUpUser(anonymous);
    const ws = stranger.client.ws();
    try {
      const sub = subscribe(ws, CreditBalanceChangedDocument, { teamId: owner.personalTeamId });
      const result = await sub.next();
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    } finally {
      await ws.dispose();
    }
  });
});

describe('bad requests', () => {
  const noStack = (body: unknown) => {
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/stacktrace|\n\s+at |node_modules/);
  };

  it('names a syntax error with GRAPHQL_PARSE_FAILED', async () => {
    const result = await anonymous.request('{ me { id ');
    expect(result.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(result.errors?.[0].message).toMatch(/Syntax Error/);
    noStack(result);
  });

  it('names an unknown field with GRAPHQL_VALIDATION_FAILED', async () => {
    const result = await anonymous.request('{ me { id shoeSize } }');
    expect(result.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(result.errors?.[0].message).toContain('shoeSize');
    noStack(result);
  });

  it('names a variable of the wrong type with BAD_USER_INPUT', async () => {
    const result = await anonymous.request('query ($id: ID!) { team(id: $id) { id } }', { id: { not: 'an id' } });
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.data ?? null).toBeNull();
    noStack(result);
  });

  it('refuses an invalid email at sign-up with BAD_USER_INPUT and creates nothing', async () => {
    const result = await anonymous.request(SignUpDocument, { input: { email: 'not-an-email', password: PASSWORD } });
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const [{ count }] = await graph.apps.identity.infra.dataSource.query(`SELECT count(*)::int AS count FROM identity.users WHERE email = 'not-an-email'`);
    expect(count).toBe(0);
  });

  it('answers a second sign-up with the same email with EMAIL_TAKEN', async () => {
    const email = uniqueEmail('twice');
    await signUpUser(anonymous, { email });
    const result = await anonymous.request(SignUpDocument, { input: { email: email.toUpperCase(), password: PASSWORD } });
    expect(result.errors?.[0].extensions?.code).toBe('EMAIL_TAKEN');
  });

  it('answers an unknown session token with UNAUTHENTICATED', async () => {
    const result = await anonymous.as('cgs_' + 'x'.repeat(43)).request(MeDocument);
    expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('gateway surface', () => {
  it('does not serve GraphiQL outside development', async () => {
    const response = await fetch(graph.url, { headers: { accept: 'text/html' } });
    expect(await response.text()).not.toMatch(/graphiql/i);
  });

  it('reports health and readiness', async () => {
    const base = graph.url.replace('/graphql', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});

describe('the gateway is the only way in', () => {
  it('refuses a request sent straight to a subgraph, even with a forged assertion', async () => {
    for (const app of Object.values(graph.apps)) {
      const response = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-console-assertion': 'v1.eyJwcmluY2lwYWwiOnsia2luZCI6InVzZXIifX0.AAAA' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(401);
      const body = await response.json();
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('ignores an assertion header sent by a client to the gateway', async () => {
    const victim = await signUpUser(anonymous);
    const result = await anonymous.request(MeDocument, undefined, { 'x-console-assertion': `v1.${Buffer.from(JSON.stringify({ principal: { kind: 'user', userId: victim.id, sessionId: 'x', memberships: [] }, requestId: 'r', iat: Date.now(), exp: Date.now() + 60000 })).toString('base64url')}.forged` });
    expect(result.data?.me).toBeNull();
  });
});
