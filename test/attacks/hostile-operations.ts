import { performance } from 'node:perf_hooks';
/** Hostile and careless operations the gateway must turn away, shared by the attack test and its bench. */
export const TEAM = '00000000-0000-4000-8000-000000000001';
export const repeat = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(' ');
const nest = (depth: number) => '{ me { ' + 'teams { team { members { user { '.repeat(depth) + 'id' + ' } } } }'.repeat(depth) + ' } }';

export interface Attack {
  name: string;
  body: string | Buffer;
  contentType?: string;
  method?: string;
  /** Acceptable codes (any) in the answer, or an HTTP status that refuses it. */
  expect: { code?: string[]; status?: number[] };
}

const json = (payload: unknown) => JSON.stringify(payload);
export const attacks: Attack[] = [
  { name: 'deep nesting', body: json({ query: nest(5) }), expect: { code: ['QUERY_TOO_DEEP'] } },
  { name: 'very deep nesting', body: json({ query: nest(40) }), expect: { code: ['QUERY_TOO_DEEP', 'QUERY_TOO_LARGE'] } },
  { name: 'alias bomb', body: json({ query: `{ ${repeat(200, (i) => `a${i}: me { id }`)} }` }), expect: { code: ['TOO_MANY_ALIASES'] } },
  {
    name: 'fragment bomb',
    body: json({
      query: `{ me { ...F0 } } ${repeat(12, (i) => `fragment F${i} on User { teams { team { members { user { ...F${i + 1} ...F${i + 1} } } } } }`)} fragment F12 on User { id }`,
    }),
    expect: { code: ['QUERY_TOO_DEEP', 'QUERY_TOO_EXPENSIVE', 'QUERY_TOO_LARGE'] },
  },
  { name: 'circular fragments', body: json({ query: '{ me { ...A } } fragment A on User { teams { team { members { user { ...B } } } } } fragment B on User { ...A }' }), expect: { code: ['GRAPHQL_VALIDATION_FAILED', 'QUERY_TOO_DEEP'] } },
  {
    name: 'huge lists',
    body: json({ query: `{ ${repeat(10, (i) => `l${i}: auditLog(teamId: "${TEAM}", first: 100) { edges { node { id description occurredAt outcome actor { userId ip userAgent apiKeyId } } } }`)} }` }),
    expect: { code: ['QUERY_TOO_EXPENSIVE'] },
  },
  { name: 'list size from a variable assumed at the cap', body: json({ query: `query ($n: Int) { ${repeat(12, (i) => `l${i}: auditLog(teamId: "${TEAM}", first: $n) { edges { node { id description outcome actor { userId ip } } } }`)} }`, variables: { n: 1 } }), expect: { code: ['QUERY_TOO_EXPENSIVE'] } },
  { name: 'oversized document', body: json({ query: `{ me { id } } # ${'x'.repeat(40_000)}` }), expect: { code: ['QUERY_TOO_LARGE'] } },
  { name: 'oversized body', body: json({ query: '{ me { id } }', variables: { pad: 'x'.repeat(300_000) } }), expect: { status: [413] } },
  { name: 'batched sign-in guessing', body: json(Array.from({ length: 50 }, (_, i) => ({ query: `mutation { signIn(input: { email: "victim@example.com", password: "guess-${i}" }) { __typename } }` }))), expect: { status: [400, 413, 429] } },
  { name: 'introspection probing', body: json({ query: '{ __schema { types { name fields { name } } } }' }), expect: { code: ['GRAPHQL_VALIDATION_FAILED'] } },
  { name: 'type introspection probing', body: json({ query: '{ __type(name: "User") { fields { name } } }' }), expect: { code: ['GRAPHQL_VALIDATION_FAILED'] } },
  { name: 'field suggestion probing', body: json({ query: '{ mee { id } }' }), expect: { code: ['GRAPHQL_VALIDATION_FAILED'] } },
  { name: 'directive overloading', body: json({ query: `{ me ${repeat(60, () => '@include(if: true)')} { id } }` }), expect: { code: ['TOO_MANY_DIRECTIVES', 'GRAPHQL_VALIDATION_FAILED'] } },
  { name: 'unknown directive flood', body: json({ query: `{ me ${repeat(60, (i) => `@d${i}`)} { id } }` }), expect: { code: ['TOO_MANY_DIRECTIVES', 'GRAPHQL_VALIDATION_FAILED'] } },
  { name: 'token flood', body: json({ query: `{ me { ${repeat(3000, () => 'id')} } }` }), expect: { code: ['QUERY_TOO_LARGE'] } },
  { name: 'many operations in one document', body: json({ query: repeat(400, (i) => `query Q${i} { me { id } }`), operationName: 'Q1' }), expect: { code: ['QUERY_TOO_LARGE'] } },
  { name: 'malformed JSON', body: '{"query": "{ me { id } }"', expect: { status: [400] } },
  { name: 'JSON that is not an operation', body: json([1, 2, 3]), expect: { status: [400] } },
  { name: 'query of the wrong type', body: json({ query: 42 }), expect: { status: [400] } },
  { name: 'wrong content type', body: 'query={ me { id } }', contentType: 'application/x-www-form-urlencoded', expect: { status: [415] } },
  { name: 'plain text body', body: '{ me { id } }', contentType: 'text/plain', expect: { status: [415] } },
  { name: 'very long string variable', body: json({ query: 'mutation ($e: String!) { signIn(input: { email: $e, password: "x" }) { __typename } }', variables: { e: 'a'.repeat(100_000) + '@example.com' } }), expect: { code: ['VARIABLES_TOO_LARGE'] } },
  { name: 'very long string literal', body: json({ query: `mutation { signIn(input: { email: "${'a'.repeat(33_000)}", password: "x" }) { __typename } }` }), expect: { code: ['QUERY_TOO_LARGE'] } },
  { name: 'deeply nested variables', body: json({ query: 'query ($v: String) { me { id } }', variables: { v: JSON.parse('['.repeat(30) + ']'.repeat(30)) } }), expect: { code: ['VARIABLES_TOO_LARGE', 'BAD_USER_INPUT'] } },
  { name: 'empty document', body: json({ query: '' }), expect: { status: [400], code: ['PERSISTED_QUERY_ID_REQUIRED', 'BAD_REQUEST'] } },
  { name: 'unknown trusted document', body: json({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }), expect: { code: ['PERSISTED_QUERY_NOT_FOUND'] } },
];


/** Sends one attack and reports how it was answered, and how long the round trip took. */
export async function sendAttack(url: string, attack: Attack): Promise<{ status: number; codes: string[]; text: string; ms: number }> {
  const body = typeof attack.body === 'string' ? Buffer.from(attack.body) : attack.body;
  const started = performance.now();
  const response = await fetch(url, {
    method: attack.method ?? 'POST',
    headers: { 'content-type': attack.contentType ?? 'application/json', 'content-length': String(body.length) },
    body: new Uint8Array(body),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  let codes: string[] = [];
  try {
    const parsed = JSON.parse(text);
    const results = Array.isArray(parsed) ? parsed : [parsed];
    codes = results.flatMap((r) => (r?.errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code ?? ''));
  } catch {
    // not JSON: judged by status
  }
  return { status: response.status, codes, text, ms };
}

