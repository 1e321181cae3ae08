import { randomUUID } from 'node:crypto';
import { MeDocument, TeamBalanceDocument } from '../operations/generated';
import type { SubgraphConfig } from '../../subgraphs/kit/config';
import { SubgraphApp, type SubgraphDefinition } from '../../subgraphs/kit/subgraph';
import { subgraphs } from '../../subgraphs';
import { GraphClient } from '../support/client';
import { signUpUserWithTeam } from '../support/factories';
import { defaultLimits } from '../../gateway/limits.plugin';
import { startGraph, useGraph, type TestGraph } from '../support/graph';

const code = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;

describe('metrics', () => {
  let graph: TestGraph;
  beforeAll(async () => {
    graph = await startGraph();
  });
  afterAll(async () => {
    await graph?.stop();
  });

  it('counts operations, subgraph requests and rejections at /metrics', async () => {
    const anonymous = new GraphClient(graph.url);
    for (let i = 0; i < 3; i++) await anonymous.request(MeDocument);
    await signUpUserWithTeam(anonymous);
    await anonymous.request('{ me { teams { team { members { user { teams { team { members { user { teams { team { members { user { id } } } } } } } } } } } } } }');
    const text = await (await fetch(graph.url.replace('/graphql', '/metrics'))).text();
    const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? 0);
    expect(value(/graphql_operations_total\{type="query",fields="me"\} (\d+)/)).toBeGreaterThanOrEqual(3);
    expect(value(/graphql_subgraph_request_duration_seconds_count\{subgraph="identity"\} (\d+)/)).toBeGreaterThan(0);
    expect(value(/graphql_rejections_total\{code="QUERY_TOO_DEEP"\} (\d+)/)).toBe(1);
    expect(text).toMatch(/graphql_operation_duration_seconds_bucket/);
  });
});

describe('rate limits', () => {
  let graph: TestGraph;
  beforeAll(async () => {
    graph = await startGraph({ rateLimits: { windowMs: 60_000, operationsPerIp: 5, operationsPerPrincipal: 3, costPerWindow: 1_000_000, sensitivePerIp: 3 } });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  it('limits anonymous callers per address, with RATE_LIMITED, 429 and a retry hint', async () => {
    const anonymous = new GraphClient(graph.url);
    // Sign-ups spend the same address's budget; count from a fresh window of our own.
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await anonymous.request(MeDocument));
    const limited = results.filter((r) => code(r) === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(limited[0].status).toBe(429);
    expect(limited[0].errors?.[0].extensions?.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('limits sign-in attempts per address more tightly', async () => {
    const anonymous = new GraphClient(graph.url);
    const attempts = [];
    for (let i = 0; i < 5; i++) {
      attempts.push(await anonymous.request('mutation ($i: SignInInput!) { signIn(input: $i) { __typename } }', { i: { email: `guess${i}@example.com`, password: 'nope nope nope' } }));
    }
    expect(attempts.slice(-2).every((r) => code(r) === 'RATE_LIMITED')).toBe(true);
  });

  it('does not limit usage reporters, whose volume is the platform’s own traffic', async () => {
    const reporter = new GraphClient(graph.url, graph.usageReporterToken);
    const event = { requestId: '', teamId: randomUUID(), apiKeyId: randomUUID(), model: 'grok-3-mini', promptTokens: 1, cachedPromptTokens: 0, completionTokens: 1 };
    const results = [];
    // Twice the per-principal budget of 3.
    for (let i = 0; i < 6; i++) {
      results.push(await reporter.request('mutation ($e: [UsageEventInput!]!) { recordUsage(events: $e) { accepted rejected { code } } }', { e: [{ ...event, requestId: randomUUID() }] }));
    }
    expect(results.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK')).toEqual(Array(6).fill('OK'));
    expect(results.map((r) => (r.data as { recordUsage: { accepted: number } }).recordUsage.accepted)).toEqual(Array(6).fill(0));
  });
});

describe('a subgraph that fails and comes back', () => {
  let graph: TestGraph;
  beforeAll(async () => {
    graph = await startGraph();
  });
  afterAll(async () => {
    await graph?.stop();
  });

  it('gives partial data while it is down and is used again once it is back, without restarting the gateway', async () => {
    const user = await signUpUserWithTeam(new GraphClient(graph.url));
    const query = `{ me { id } team(id: "${user.personalTeamId}") { id creditBalance { available { ticks } } } }`;
    expect((await user.client.request(query)).errors).toBeUndefined();

    const billing = graph.apps.billing;
    const port = billing.port;
    const config: SubgraphConfig = { ...billing.config, port };
    await billing.stop();
    const down = await user.client.request(query);
    expect((down.data as { me: { id: string } }).me.id).toBe(user.id);
    expect(down.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(down.errors)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/);
    await new Promise((r) => setTimeout(r, 1100)); // past the readiness cache
    const readiness = await fetch(graph.url.replace('/graphql', '/readyz'));
    expect(readiness.status).toBe(200);
    expect((await readiness.json()).subgraphs).toMatchObject({ identity: 'ready', team: 'ready', billing: 'unreachable' });

    const revived = new SubgraphApp(subgraphs.billing as SubgraphDefinition<unknown, unknown>, config);
    await revived.start();
    graph.apps.billing = revived;
    const back = await user.client.request(query);
    expect(back.errors).toBeUndefined();
    expect((back.data as { team: { creditBalance: { available: { ticks: string } } } }).team.creditBalance.available.ticks).toBe('0');
    expect((await user.client.request(TeamBalanceDocument, { id: user.personalTeamId })).errors).toBeUndefined();
  });
});

describe('a subgraph that hangs', () => {
  let graph: TestGraph;
  beforeAll(async () => {
    graph = await startGraph({ requestTimeoutMs: 500 });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  it('answers 504 TIMEOUT at the deadline instead of holding the client', async () => {
    const user = await signUpUserWithTeam(new GraphClient(graph.url));
    // Hold the balance row: Billing's answer waits on the lock.
    const billing = graph.apps.billing.infra.dataSource;
    const runner = billing.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query(`LOCK TABLE billing.credit_balances IN ACCESS EXCLUSIVE MODE`);
    try {
      const started = Date.now();
      const result = await user.client.request(TeamBalanceDocument, { id: user.personalTeamId });
      expect(result.status).toBe(504);
      expect(code(result)).toBe('TIMEOUT');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});

describe('browsers', () => {
  let graph: TestGraph;
  beforeAll(async () => {
    graph = await startGraph({ corsOrigins: ['https://console.example'] });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  const preflight = (origin: string) =>
    fetch(graph.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });

  it('lets a configured origin call the graph from a browser, and no other', async () => {
    const allowed = await preflight('https://console.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).not.toBe('*');
  });

  it('refuses a cross-site form post (CSRF) before GraphQL', async () => {
    const response = await fetch(graph.url, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=mutation%20%7B%20signOut%20%7D',
    });
    expect(response.status).toBe(415);
  });
});

describe('request bodies', () => {
  let graph: TestGraph;
  useGraph((started) => (graph = started.graph));

  const post = async (body: string, contentType = 'application/json') => {
    const response = await fetch(graph.url, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] } | { data?: unknown }[] };
  };

  it('runs a batch of operations and answers each in order', async () => {
    const { status, body } = await post(JSON.stringify([{ query: '{ me { id } }' }, { query: 'query ($id: ID!) { team(id: $id) { id } }', variables: { id: randomUUID() } }, { query: '{ __typename }' }]));
    expect(status).toBe(200);
    expect(body).toEqual([{ data: { me: null } }, expect.objectContaining({ errors: expect.any(Array) }), { data: { __typename: 'Query' } }]);
  });

  it('runs an operation with the variables the body carries', async () => {
    const { body } = await post(JSON.stringify({ query: 'query ($n: String!) { __type(name: $n) { name } }', variables: { n: 'Team' } }));
    expect(body).toEqual({ data: { __type: { name: 'Team' } } });
  });

  it.each([
    ['malformed JSON', '{"query": "{ me { id ', 'BAD_REQUEST'],
    ['a body that is not an operation', '"{ me { id } }"', 'BAD_REQUEST'],
    ['an operation whose query is not a string', '{"query": 42}', 'BAD_REQUEST'],
    ['an empty batch', '[]', 'BATCH_TOO_LARGE'],
    ['a batch over the limit', JSON.stringify(Array.from({ length: defaultLimits.maxBatch + 1 }, () => ({ query: '{ __typename }' }))), 'BATCH_TOO_LARGE'],
    ['a batch with an item that is not an operation', '[{"query": "{ __typename }"}, 7]', 'BAD_REQUEST'],
  ])('refuses %s with 400 and a code, running nothing', async (_case, body, expected) => {
    const { status, body: answer } = await post(body);
    expect(status).toBe(400);
    expect(answer).toMatchObject({ errors: [{ extensions: { code: expected } }] });
    expect(answer).not.toHaveProperty('data');
  });

  it('refuses a body that is not JSON with 415', async () => {
    const { status, body } = await post('{ __typename }', 'text/plain');
    expect(status).toBe(415);
    expect(body).toMatchObject({ errors: [{ extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }] });
  });
});
