import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MeDocument } from '../operations/generated';
import { GraphClient } from '../support/client';
import { signUpUserWithTeam } from '../support/factories';
import { startGraph, type TestGraph } from '../support/graph';

/** A real OTLP/HTTP receiver on loopback, collecting what the services export. */
interface ExportedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

let collector: Server;
const spans: ExportedSpan[] = [];
let graph: TestGraph | undefined;

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = resourceSpans.resource.attributes.find((a: { key: string }) => a.key === 'service.name')?.value.stringValue;
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const s of scope.spans ?? []) {
            const attributes = Object.fromEntries((s.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]]));
            spans.push({ service, name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, attributes });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await graph?.stop();
  await new Promise((r) => collector.close(r));
});

describe('tracing', () => {
  it('follows one operation from the gateway into each subgraph and its SQL', async () => {
    graph = await startGraph({ otlpEndpoint: `http://127.0.0.1:${(collector.address() as AddressInfo).port}` });
    const user = await signUpUserWithTeam(new GraphClient(graph.url));
    // The client starts the trace, as a traced frontend or partner would.
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const result = await user.client.request(MeDocument, undefined, { traceparent: `00-${traceId}-${clientSpanId}-01` });
    expect(result.errors).toBeUndefined();
    await graph.stop(); // flushes every exporter
    graph = undefined;

    const operation = spans.filter((s) => s.traceId === traceId);
    const root = operation.find((s) => s.service === 'gateway' && s.parentSpanId === clientSpanId);
    expect(root).toBeDefined();
    const services = new Set(operation.map((s) => s.service));
    for (const service of ['gateway', 'identity', 'team', 'billing']) expect(services).toContain(service);
    const sql = operation.filter((s) => s.name === 'pg.query');
    expect(sql.some((s) => String(s.attributes['db.statement']).includes('credit_balances'))).toBe(true);
    // Subgraph spans hang under the gateway's span, SQL under its subgraph's span.
    const ids = new Set(operation.map((s) => s.spanId));
    expect(operation.filter((s) => s !== root).every((s) => s.parentSpanId && ids.has(s.parentSpanId))).toBe(true);
  });
});
