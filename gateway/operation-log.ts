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
import type { ConsoleGatewayContext } from './auth.plugin';

type Args = {
  schema?: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Record<string, unknown> | null;
  contextValue: Partial<ConsoleGatewayContext>;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DENIED_CODES = new Set(['FORBIDDEN', 'UNAUTHENTICATED']);
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

function actorOf(context: Partial<ConsoleGatewayContext>): EventActor | null {
  const p = context.principal;
  const actor: EventActor = {
    ...(p?.kind === 'user' ? { userId: p.userId } : {}),
    ...(p?.kind === 'management-key' ? { apiKeyId: p.keyId } : {}),
    ...(context.clientIp ? { ip: context.clientIp } : {}),
    ...(context.userAgent ? { userAgent: context.userAgent } : {}),
  };
  return Object.keys(actor).length ? actor : null;
}

/** ALLOWED without errors, DENIED when any error is FORBIDDEN or UNAUTHENTICATED, FAILED otherwise. */
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
  /** Records per published batch. */
  batchSize: number;
  /** The longest a record waits in memory before its batch is published. */
  flushMs: number;
  /** Records held while the bus is unreachable; beyond this the oldest are dropped (and logged). */
  maxBuffered?: number;
}

/**
 * Collects operation records in memory and publishes them to the event bus in batches, off the
 * request path: `record` only appends to a buffer. A batch leaves the buffer only once the bus
 * acknowledged it; a failed publish is retried with the same event id (the bus and Audit both
 * drop the duplicate). Records not yet acknowledged when the process dies are lost.
 */
export class OperationLogPublisher {
  private buffer: GatewayOperationRecord[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private retryDelayMs = 100;
  private retryAt = 0;
  private closed = false;
  /** Records dropped because the buffer was full. */
  dropped = 0;
  published = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly options: OperationLogOptions,
  ) {}

  record(record: GatewayOperationRecord): void {
    if (this.closed) return;
    this.buffer.push(record);
    const max = this.options.maxBuffered ?? 100_000;
    if (this.buffer.length > max) {
      const excess = this.buffer.length - max;
      this.buffer.splice(0, excess);
      this.dropped += excess;
      this.logger.error({ dropped: excess }, 'operation log buffer full; oldest records dropped');
    }
    // While the bus is failing, wait out the backoff instead of retrying on every new record.
    if (this.buffer.length >= this.options.batchSize && Date.now() >= this.retryAt) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs);
  }

  /** Publishes everything buffered; resolves when the bus holds it (or a publish failed and a retry is scheduled). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      if (this.buffer.length && !this.timer) this.timer = setTimeout(() => void this.flush(), this.retryDelayMs > 100 ? this.retryDelayMs : this.options.flushMs);
    });
    return this.flushing;
  }

  private pendingEvent?: { event: DomainEvent; count: number };

  private async drain(): Promise<void> {
    while (this.buffer.length) {
      // The same envelope (and id) is retried until acknowledged, so a retry cannot duplicate it.
      this.pendingEvent ??= (() => {
        const operations = this.buffer.slice(0, this.options.batchSize);
        const payload: GatewayOperationsRecordedPayload = { operations };
        const event = createEvent('gateway', { type: EventType.GatewayOperationsRecorded, aggregateId: 'gateway', teamId: null, actor: null, payload }) as unknown as DomainEvent;
        return { event, count: operations.length };
      })();
      try {
        await this.bus.publish([this.pendingEvent.event]);
      } catch (err) {
        this.logger.warn({ err, records: this.buffer.length }, 'could not publish operation records; will retry');
        this.retryDelayMs = Math.min(5000, this.retryDelayMs * 2);
        this.retryAt = Date.now() + this.retryDelayMs;
        return;
      }
      const ids = new Set((this.pendingEvent.event.payload as unknown as GatewayOperationsRecordedPayload).operations.map((o) => o.id));
      this.buffer = this.buffer.filter((r) => !ids.has(r.id));
      this.published += this.pendingEvent.count;
      this.pendingEvent = undefined;
      this.retryDelayMs = 100;
      this.retryAt = 0;
    }
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /** Stops accepting records and publishes what is buffered (trying until the deadline). */
  async close(deadlineMs = 5000): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + deadlineMs;
    while (this.buffer.length && Date.now() < deadline) {
      await this.flush();
      if (this.buffer.length) await new Promise((r) => setTimeout(r, Math.min(this.retryDelayMs, Math.max(0, deadline - Date.now()))));
    }
    clearTimeout(this.timer);
    if (this.buffer.length) this.logger.error({ lost: this.buffer.length }, 'operation records not published before shutdown');
    await this.bus.close();
  }
}


const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> => !!v && typeof v === 'object' && Symbol.asyncIterator in v;

/** Records every executed operation and every subscription start once its outcome is known. */
export function useOperationLog(publisher: OperationLogPublisher, logger: Logger) {
  const record = (args: Args, result: unknown) => {
    try {
      const errors = isAsyncIterable(result) ? undefined : (result as ExecutionResult | undefined)?.errors;
      const entry = describeOperation(args, errors);
      if (entry) publisher.record(entry);
    } catch (err) {
      logger.error({ err }, 'could not record operation');
    }
  };
  return {
    onExecute({ args }: { args: Args }) {
      return { onExecuteDone: ({ result }: { result: unknown }) => record(args, result) };
    },
    onSubscribe({ args }: { args: Args }) {
      return { onSubscribeResult: ({ result }: { result: unknown }) => record(args, result) };
    },
  };
}
