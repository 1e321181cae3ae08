import { context, createContextKey, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Client } from 'pg';

/**
 * OpenTelemetry traces that follow an operation from the gateway into each subgraph and its
 * SQL, exported over OTLP/HTTP when an endpoint is configured (nothing is recorded otherwise).
 * Each service has its own provider (several share one process in tests); the W3C
 * `traceparent` header carries the trace between processes.
 */
export interface Tracing {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

const TRACER = createContextKey('console-graph.tracer');
let installed = false;

function installOnce(): void {
  if (installed) return;
  installed = true;
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  instrumentPg();
}

/** Every SQL statement run inside a traced request becomes a child span of it. */
function instrumentPg(): void {
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function tracedQuery(this: unknown, ...args: unknown[]) {
    const tracer = context.active().getValue(TRACER) as Tracer | undefined;
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (!tracer || !text || !trace.getSpan(context.active())) return original.apply(this, args);
    const span = tracer.startSpan('pg.query', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.statement': text.slice(0, 1000) } });
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => span.end(),
        (err: Error) => {
          span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
          span.end();
        },
      );
    } else {
      span.end();
    }
    return result;
  };
}

/** OTLP/HTTP with the JSON encoding, sent with fetch. */
class OtlpJsonExporter implements SpanExporter {
  constructor(private readonly url: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const body = JsonTraceSerializer.serializeRequest(spans);
    fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body ? Buffer.from(body) : '{}', signal: AbortSignal.timeout(10_000) })
      .then((r) => done({ code: r.ok ? ExportResultCode.SUCCESS : ExportResultCode.FAILED }))
      .catch((error: Error) => done({ code: ExportResultCode.FAILED, error }));
  }

  async shutdown(): Promise<void> {}
}

export function createTracing(service: string, otlpEndpoint: string | undefined): Tracing {
  // Without an endpoint nothing is recorded, so nothing is installed: the context manager's async
  // hooks would otherwise tax every promise the process makes.
  if (!otlpEndpoint) return { tracer: trace.getTracer('noop'), shutdown: async () => undefined };
  installOnce();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(new OtlpJsonExporter(`${otlpEndpoint.replace(/\/$/, '')}/v1/traces`), { scheduledDelayMillis: 500 })],
  });
  return { tracer: provider.getTracer(service), shutdown: () => provider.shutdown() };
}

/** The trace context carried by incoming headers. */
export function extractContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers, {
    get: (carrier, key) => carrier[key],
    keys: (carrier) => Object.keys(carrier),
  });
}

/** The `traceparent` (and `tracestate`) header values that continue `span`'s trace downstream. */
export function traceHeaders(span: Span): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return carrier;
}

/** Runs `work` inside a server span of `tracing`, so nested spans (SQL) join it. */
export async function withServerSpan<T>(tracing: Tracing, name: string, parent: Context, attributes: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const span = tracing.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  const ctx = trace.setSpan(parent, span).setValue(TRACER, tracing.tracer);
  try {
    return await context.with(ctx, work);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
