import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import type { Principal } from '../subgraphs/kit/auth';
import {
  createEvent,
  EventType,
  type EventActor,
  type EventBus,
  type GatewayOperationRecord,
  type GatewayOperationsRecordedPayload,
  type DomainEvent,
  type OperationOutcome,
} from '../subgraphs/kit/events';
import type { Logger } from '../subgraphs/kit/logger';
import type { IncomingMessage } from 'node:http';
import { originOf, requestIdOf, tokenOf, type ConsoleGatewayContext } from './auth.plugin';
import type { RefusalLog } from './refusal-log';

type Args = {
  schema?: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Record<string, unknown> | null;
  contextValue: Partial<ConsoleGatewayContext>;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Refusals by rule (access, limits, rate limits, trusted documents); other errors are failures. */
const DENIED_CODES = new Set([
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'RATE_LIMITED',
  'PERSISTED_QUERY_ONLY',
  'QUERY_TOO_DEEP',
  'TOO_MANY_ALIASES',
  'TOO_MANY_DIRECTIVES',
  'QUERY_TOO_LARGE',
  'QUERY_TOO_EXPENSIVE',
  'VARIABLES_TOO_LARGE',
  'REQUEST_TOO_LARGE',
  'BATCH_TOO_LARGE',
]);
/** Root fields whose `id` argument is a team's id. */
const TEAM_BY_ID = /^(team|updateTeam|deleteTeam)$/;
const MAX_DESCRIPTION = 200;

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** How one root field reads in the audit log: `apiKeys` → `ListApiKeys`, `team` → `GetTeam`, `createApiKey` → `CreateApiKey`. */
export function describeField(operation: 'query' | 'mutation' | 'subscription', field: string): string {
  if (operation === 'mutation') return pascal(field);
  if (operation === 'subscription') return `Subscribe${pascal(field)}`;
  return `${/[^s]s$/.test(field) ? 'List' : 'Get'}${pascal(field)}`;
}

const returnsMany = (type: GraphQLOutputType) => isListType(getNullableType(type)) || getNamedType(type).name.endsWith('Connection');

/**
 * Names a query by what it reads: a list or connection at the root or one level below a root
 * object (`team(id) { apiKeys }` → `ListApiKeys`, `me { teams }` → `ListTeams`), else the root
 * object itself (`team(id) { name }` → `GetTeam`).
 */
function describeQuery(schema: GraphQLSchema, field: FieldNode): string[] {
  const def = schema.getQueryType()?.getFields()[field.name.value];
  if (!def) return [describeField('query', field.name.value)];
  if (returnsMany(def.type)) return [`List${pascal(field.name.value)}`];
  const type = getNamedType(def.type);
  const lists: string[] = [];
  if (isObjectType(type)) {
    for (const child of field.selectionSet?.selections ?? []) {
      if (child.kind !== Kind.FIELD || !child.selectionSet) continue;
      const childDef = (type as GraphQLObjectType).getFields()[child.name.value];
      if (childDef && returnsMany(childDef.type)) lists.push(`List${pascal(child.name.value)}`);
    }
  }
  return lists.length ? lists : [`Get${pascal(field.name.value)}`];
}

function selectedOperation(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
}

function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables[node.name.value];
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, valueOf(f.value, variables)]));
    default:
      return undefined;
  }
}

const uuidOrNull = (v: unknown): string | null => (typeof v === 'string' && UUID.test(v) ? v.toLowerCase() : null);

/** The team an operation acts on: a `teamId` argument (or `input.teamId`), a team's own `id`, else the management key's team. */
function teamOf(fields: FieldNode[], variables: Record<string, unknown>, principal: Principal | undefined): string | null {
  for (const field of fields) {
    for (const arg of field.arguments ?? []) {
      const value = valueOf(arg.value, variables);
      if (arg.name.value === 'teamId' && uuidOrNull(value)) return uuidOrNull(value);
      if (arg.name.value === 'id' && TEAM_BY_ID.test(field.name.value) && uuidOrNull(value)) return uuidOrNull(value);
      if (value && typeof value === 'object' && uuidOrNull((value as Record<string, unknown>).teamId)) return uuidOrNull((value as Record<string, unknown>).teamId);
    }
  }
  return principal?.kind === 'management-key' ? principal.teamId : null;
}

export function actorOf(context: Partial<ConsoleGatewayContext>): EventActor | null {
  const p = context.principal;
  const actor: EventActor = {
    ...(p?.kind === 'user' ? { userId: p.userId } : {}),
    ...(p?.kind === 'management-key' ? { apiKeyId: p.keyId } : {}),
    ...(context.clientIp ? { ip: context.clientIp } : {}),
    ...(context.userAgent ? { userAgent: context.userAgent } : {}),
  };
  return Object.keys(actor).length ? actor : null;
}

/** ALLOWED without errors, DENIED when any error is a refusal by rule (FORBIDDEN, UNAUTHENTICATED, a limit), FAILED otherwise. */
export function outcomeOf(errors: readonly { extensions?: Record<string, unknown> }[] | undefined): { outcome: OperationOutcome; errorCodes: string[] } {
  if (!errors?.length) return { outcome: 'ALLOWED', errorCodes: [] };
  const errorCodes = [...new Set(errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
  return { outcome: errorCodes.some((c) => DENIED_CODES.has(c)) ? 'DENIED' : 'FAILED', errorCodes };
}

/** The audit record of one operation, from its document, variables, context and result errors. */
export function describeOperation(
  args: Args,
  errors: readonly { extensions?: Record<string, unknown> }[] | undefined,
  now = new Date(),
): GatewayOperationRecord | null {
  const operation = selectedOperation(args.document, args.operationName);
  if (!operation) return null;
  const variables = args.variableValues ?? {};
  const fields = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && !s.name.value.startsWith('__'));
  const rootFields = fields.map((f) => f.name.value);
  const names = [
    ...new Set(fields.flatMap((f) => (operation.operation === 'query' && args.schema ? describeQuery(args.schema, f) : [describeField(operation.operation, f.name.value)]))),
  ];
  const description = (names.join(', ') || operation.name?.value || pascal(operation.operation)).slice(0, MAX_DESCRIPTION);
  return {
    id: randomUUID(),
    occurredAt: now.toISOString(),
    teamId: teamOf(fields, variables, args.contextValue.principal),
    actor: actorOf(args.contextValue),
    description,
    operationType: operation.operation,
    operationName: operation.name?.value ?? null,
    rootFields,
    ...outcomeOf(errors),
    requestId: args.contextValue.requestId ?? null,
  };
}

export interface OperationLogOptions {
  /** Records per published envelope (one bus write may carry several envelopes). */
  batchSize: number;
  /**
   * How long a response waits for its record to be acknowledged while the bus is failing; past
   * it the response goes out and the record stays buffered, retried until the bus takes it.
   */
  waitMs: number;
  /** Records held while the bus is unreachable; beyond this the oldest are dropped (and logged). */
  maxBuffered?: number;
}

/** Envelopes per bus write; a backlog after an outage drains in several writes. */
const MAX_ENVELOPES_PER_WRITE = 50;

interface Envelope {
  event: DomainEvent;
  records: GatewayOperationRecord[];
}

/**
 * Publishes operation records to the event bus with group commit: `record` resolves once the
 * bus has acknowledged the record, and the gateway answers only then, so a crash after an answer
 * cannot lose its record. One write is in flight at a time; records arriving meanwhile wait and
 * all go in the next write, so under load many requests share one bus write and the cost is one
 * write per flush, not per request. A failed write is retried (with backoff) under the same
 * envelope ids, which the bus and Audit both deduplicate.
 */
export class OperationLogPublisher {
  /** Records not yet in an envelope. */
  private queue: GatewayOperationRecord[] = [];
  /** Envelopes written at least once but not acknowledged, oldest first. */
  private unacked: Envelope[] = [];
  private readonly waiters = new Map<string, (acknowledged: boolean) => void>();
  private inFlight?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private retryDelayMs = 100;
  private retryAt = 0;
  private closed = false;
  /** Records dropped because the buffer was full. */
  dropped = 0;
  published = 0;
  /** Bus writes (each acknowledged write counts once). */
  writes = 0;
  /** Responses that went out before their record was acknowledged (the bus was failing). */
  answeredUnacknowledged = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly options: OperationLogOptions,
  ) {}

  /**
   * Queues a record; resolves true once the bus holds it, or false when `waitMs` passed first
   * (the record stays queued) or it was dropped.
   */
  record(record: GatewayOperationRecord): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const acknowledged = new Promise<boolean>((resolve) => this.waiters.set(record.id, resolve));
    this.queue.push(record);
    const max = this.options.maxBuffered ?? 100_000;
    if (this.buffered > max && this.queue.length > 1) {
      const excess = this.queue.splice(0, Math.min(this.buffered - max, this.queue.length - 1));
      for (const r of excess) this.settle(r.id, false);
      this.dropped += excess.length;
      this.logger.error({ dropped: excess.length }, 'operation log buffer full; oldest records dropped');
    }
    this.kick();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.waitMs)));
    return Promise.race([acknowledged, waited]).then((ok) => {
      clearTimeout(timer);
      if (!ok && this.waiters.has(record.id)) {
        this.answeredUnacknowledged++;
        this.logger.warn({ recordId: record.id, requestId: record.requestId }, 'answering before the operation record was acknowledged; it stays queued');
      }
      return ok;
    });
  }

  private settle(id: string, acknowledged: boolean): void {
    const resolve = this.waiters.get(id);
    this.waiters.delete(id);
    resolve?.(acknowledged);
  }

  /** Starts a write unless one is in flight (it will pick up what is queued) or the bus is in backoff. */
  private kick(): void {
    if (this.inFlight || (!this.queue.length && !this.unacked.length)) return;
    const wait = this.retryAt - Date.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, wait);
      return;
    }
    this.inFlight = this.write().finally(() => {
      this.inFlight = undefined;
      this.kick();
    });
  }

  private async write(): Promise<void> {
    const fresh = this.queue.splice(0);
    for (let i = 0; i < fresh.length; i += this.options.batchSize) {
      const records = fresh.slice(i, i + this.options.batchSize);
      const payload: GatewayOperationsRecordedPayload = { operations: records };
      const event = createEvent('gateway', { type: EventType.GatewayOperationsRecorded, aggregateId: 'gateway', teamId: null, actor: null, payload }) as unknown as DomainEvent;
      this.unacked.push({ event, records });
    }
    const envelopes = this.unacked.slice(0, MAX_ENVELOPES_PER_WRITE);
    try {
      await this.bus.publish(envelopes.map((e) => e.event));
    } catch (err) {
      this.logger.warn({ err, records: this.buffered }, 'could not publish operation records; will retry');
      this.retryDelayMs = Math.min(5000, this.retryDelayMs * 2);
      this.retryAt = Date.now() + this.retryDelayMs;
      return;
    }
    this.unacked.splice(0, envelopes.length);
    this.writes++;
    this.retryDelayMs = 100;
    this.retryAt = 0;
    for (const envelope of envelopes) {
      this.published += envelope.records.length;
      for (const r of envelope.records) this.settle(r.id, true);
    }
  }

  /** Records queued or written but not yet acknowledged. */
  get buffered(): number {
    return this.queue.length + this.unacked.reduce((n, e) => n + e.records.length, 0);
  }

  /** Resolves when nothing is queued (or the deadline passed). */
  async drain(deadlineMs = 5000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (this.buffered && Date.now() < deadline) {
      this.kick();
      await (this.inFlight ?? new Promise((r) => setTimeout(r, Math.min(50, Math.max(0, deadline - Date.now())))));
    }
  }

  /** Stops accepting records and publishes what is queued (trying until the deadline). */
  async close(deadlineMs = 5000): Promise<void> {
    this.closed = true;
    await this.drain(deadlineMs);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffered) this.logger.error({ lost: this.buffered }, 'operation records not published before shutdown');
    for (const id of [...this.waiters.keys()]) this.settle(id, false);
    await this.bus.close();
  }
}

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> => !!v && typeof v === 'object' && Symbol.asyncIterator in v;

const EXECUTED = Symbol('operation executed');
const REFUSAL_RECORDED = Symbol('refusal recorded');
const PARAMS = Symbol('operation params');

type OperationContext = Partial<ConsoleGatewayContext> & {
  request?: Request;
  req?: IncomingMessage;
  params?: { query?: unknown; operationName?: unknown; variables?: unknown };
  [EXECUTED]?: boolean;
  [REFUSAL_RECORDED]?: boolean;
  [PARAMS]?: { query?: unknown; operationName?: unknown; variables?: unknown };
};

const errorsOf = (result: unknown): readonly { extensions?: Record<string, unknown> }[] | undefined =>
  result && typeof result === 'object' && !Array.isArray(result) && !isAsyncIterable(result) ? (result as ExecutionResult).errors : undefined;

/**
 * Records every executed operation and every subscription start of a user, a management key or an
 * anonymous caller once its outcome is known (platform services are not recorded here). An
 * operation's result is released only when its record is on the bus (or the wait ran out), so a
 * client never holds an answer the audit log could lose; a subscription's first event likewise.
 * Operations refused before execution (parse and validation errors, limits, rate limits, trusted
 * documents, invalid sessions) go to the refusal log, which records those it can attribute.
 * `first` goes before every other plugin, `last` after them.
 */
export function operationLogPlugins(publisher: OperationLogPublisher, logger: Logger, refusals?: RefusalLog, trustedProxies: readonly string[] = []) {
  const record = async (args: Args, result: unknown): Promise<void> => {
    // The log is of what people and their keys do. A platform service's calls (usage reporters)
    // are recorded by the subgraph that carries them out, in the same transaction: Billing's
    // billed usage becomes the team's request log in Audit. Holding their answers for a second
    // record would put another commit on the metering path for a record no team can read.
    if (args.contextValue.principal?.kind === 'service') return;
    let entry: GatewayOperationRecord | null;
    try {
      const errors = isAsyncIterable(result) ? undefined : (result as ExecutionResult | undefined)?.errors;
      entry = describeOperation(args, errors);
    } catch (err) {
      logger.error({ err }, 'could not record operation');
      return;
    }
    if (entry) await publisher.record(entry);
  };
  const refused = async (context: OperationContext | undefined, result: unknown, request?: Request): Promise<void> => {
    const errors = errorsOf(result);
    if (!refusals || !context || !errors?.length || context[EXECUTED] || context[REFUSAL_RECORDED]) return;
    context[REFUSAL_RECORDED] = true;
    const params = context.params ?? context[PARAMS];
    // Refused while reading parameters, the context has not been given the request yet.
    const incoming = { request: context.request ?? request, req: context.req };
    const origin = originOf(incoming, trustedProxies);
    await refusals.record({
      query: params?.query,
      operationName: params?.operationName,
      variables: params?.variables,
      principal: context.principal,
      token: tokenOf(incoming),
      ip: context.clientIp ?? origin.ip,
      userAgent: context.userAgent ?? origin.userAgent,
      requestId: context.requestId ?? requestIdOf(incoming),
      errors,
    });
  };
  /** Goes first: keeps each operation's parameters where a refusal can find them, and sees subscriptions a later plugin stops. */
  const first = {
    onParams({ params, context }: { params: OperationContext['params']; context?: OperationContext }) {
      if (context) context[PARAMS] = params;
    },
    // A subscription stopped before it starts (a rate limit) reaches no later plugin's hooks and,
    // over WebSocket, no result hook either: record the refusal here, before the client hears it.
    onSubscribe() {
      return {
        onSubscribeResult: ({ args, result, setResult }: { args: Args; result: unknown; setResult: (r: unknown) => void }) => {
          const context = args.contextValue as OperationContext;
          if (context[EXECUTED] || !errorsOf(result)?.length) return;
          setResult(
            refused(context, result).then(
              () => result,
              (err) => {
                logger.error({ err }, 'could not record a refused subscription');
                return result;
              },
            ),
          );
        },
      };
    },
  };
  const last = {
    onExecute({ args }: { args: Args }) {
      (args.contextValue as OperationContext)[EXECUTED] = true;
      return { onExecuteDone: ({ result }: { result: unknown }) => record(args, result) };
    },
    onSubscribe({ args }: { args: Args }) {
      (args.contextValue as OperationContext)[EXECUTED] = true;
      return {
        onSubscribeResult: ({ result }: { result: unknown }) => {
          const recorded = record(args, result);
          // The hook itself is not awaited; holding back the first event is.
          return isAsyncIterable(result) ? { onNext: () => recorded } : undefined;
        },
      };
    },
    // One operation refused during parsing, validation, context building or a rate limit.
    onExecutionResult({ result, context }: { result: unknown; context: OperationContext }) {
      return refused(context, result);
    },
    // A single operation refused while its parameters were read (it never reached the above).
    onResultProcess({ result, serverContext, request }: { result: unknown; serverContext?: OperationContext; request: Request }) {
      return refused(serverContext, result, request);
    },
  };
  return { first, last };
}
