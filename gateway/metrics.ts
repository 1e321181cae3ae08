import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Kind, type DocumentNode, type ExecutionResult, type OperationDefinitionNode } from 'graphql';

/** Codes of operations turned away by limits (as opposed to failing on their own terms). */
const REJECTION_CODES = new Set(['QUERY_TOO_DEEP', 'TOO_MANY_ALIASES', 'TOO_MANY_DIRECTIVES', 'QUERY_TOO_LARGE', 'QUERY_TOO_EXPENSIVE', 'RATE_LIMITED', 'PERSISTED_QUERY_ONLY']);

/** Prometheus metrics of the gateway, scraped at /metrics. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly operations = new Counter({ name: 'graphql_operations_total', help: 'Operations executed', labelNames: ['type', 'fields'], registers: [this.registry] });
  readonly errors = new Counter({ name: 'graphql_errors_total', help: 'Errors returned, by code', labelNames: ['code'], registers: [this.registry] });
  readonly rejections = new Counter({ name: 'graphql_rejections_total', help: 'Operations refused by limits and rate limits', labelNames: ['code'], registers: [this.registry] });
  readonly duration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Operation execution time',
    labelNames: ['type', 'fields'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly subgraphDuration = new Histogram({
    name: 'graphql_subgraph_request_duration_seconds',
    help: 'Time of each request to a subgraph',
    labelNames: ['subgraph'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly refusalsUnrecorded = new Counter({
    name: 'graphql_refusals_unrecorded_total',
    help: 'Refused operations left out of the audit log: no team to attribute them to, or over the per-team budget',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly openSockets = new Gauge({ name: 'graphql_open_websockets', help: 'Open graphql-ws connections', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  countErrors(result: ExecutionResult): void {
    for (const error of result.errors ?? []) {
      const code = String(error.extensions?.code ?? 'UNKNOWN');
      this.errors.inc({ code });
      if (REJECTION_CODES.has(code)) this.rejections.inc({ code });
    }
  }
}

/** A label that cannot explode in cardinality: the validated root fields of the operation. */
export function operationLabel(document: DocumentNode | undefined, operationName?: string | null): { type: string; fields: string } {
  const operations = (document?.definitions ?? []).filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return { type: 'unknown', fields: '' };
  const fields = [...new Set(operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])))].sort().join(',');
  return { type: operation.operation, fields: fields.slice(0, 120) };
}

export function useMetrics(metrics: GatewayMetrics) {
  return {
    onExecute({ args }: { args: { document: DocumentNode; operationName?: string | null } }) {
      const labels = operationLabel(args.document, args.operationName);
      const stop = metrics.duration.startTimer(labels);
      metrics.operations.inc(labels);
      return {
        onExecuteDone({ result }: { result: unknown }) {
          stop();
          if (result && typeof result === 'object' && 'errors' in result) metrics.countErrors(result as ExecutionResult);
        },
      };
    },
    onSubgraphExecute({ subgraphName }: { subgraphName: string }) {
      const stop = metrics.subgraphDuration.startTimer({ subgraph: subgraphName });
      return () => void stop();
    },
    onResultProcess({ result }: { result: unknown }) {
      // Errors raised before execution (parse, validation, limits) never reach onExecuteDone.
      const results = Array.isArray(result) ? result : [result];
      for (const r of results) {
        if (r && typeof r === 'object' && 'errors' in r && !('data' in r)) metrics.countErrors(r as ExecutionResult);
      }
    },
  };
}
