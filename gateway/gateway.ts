import { createGatewayRuntime, type GatewayRuntime } from '@graphql-hive/gateway-runtime';
import httpTransport from '@graphql-mesh/transport-http';
import wsTransport from '@graphql-mesh/transport-ws';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { GraphQLError, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ASSERTION_HEADER, signAssertion } from '../subgraphs/kit/auth';
import { subgraphNames, type GatewayConfig, type SubgraphName } from '../subgraphs/kit/config';
import { createLogger, type Logger } from '../subgraphs/kit/logger';
import { HttpError, readRaw } from '../subgraphs/kit/http/body';
import { WEBHOOK_MAX_BYTES } from '../subgraphs/kit/http/server';
import { createTracing, extractContext, withServerSpan, type Tracing } from '../subgraphs/kit/tracing';
import { bearerToken, originOf, tokenOf, useConsoleAuth, validRequestId } from './auth.plugin';
import { useErrorCodes } from './error-codes.plugin';
import { defaultLimits, longestString, operationLimitPlugins, type OperationLimits } from './limits.plugin';
import { GatewayMetrics, useMetrics } from './metrics';
import { defaultRateLimits, useRateLimits } from './rate-limit.plugin';
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from './rate-limiter';
import { documentHash, isManagementKey, loadTrustedDocuments, parseBody, refuseRequest, useParsedBody, type Refusal } from './request-guards';
import { InvalidSessionError, lostAccess, PrincipalResolver } from './principal-resolver';
import { createEventBus } from '../subgraphs/kit/events';
import { OperationLogPublisher, operationLogPlugins } from './operation-log';
import { RefusalLog } from './refusal-log';

export const GRAPHQL_PATH = '/graphql';

/** Which subgraph receives each third-party callback under /webhooks/. */
const WEBHOOK_OWNERS: Record<string, SubgraphName> = { 'github/secret-scanning': 'team' };

function refuse(res: ServerResponse, refusal: Refusal): void {
  res.writeHead(refusal.status, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] }));
}

/** The public front door: one port for GraphQL over HTTP and graphql-ws. */
export class Gateway {
  readonly logger: Logger;
  readonly runtime: GatewayRuntime;
  readonly http: Server;
  private readonly ws: WebSocketServer;
  private wsCleanup?: { dispose: () => void | Promise<void> };
  private draining = false;
  private readonly principals: PrincipalResolver;
  readonly metrics = new GatewayMetrics();
  private readonly tracing: Tracing;
  readonly limits: OperationLimits = defaultLimits;
  private readonly rateLimiter: RateLimiter;
  private readonly trustedDocuments: Map<string, string>;
  /** Open WebSocket connections with the session they were opened with. */
  private readonly sockets = new Map<WebSocket, { token: string; principal: Awaited<ReturnType<PrincipalResolver['resolve']>> }>();
  private revalidation?: NodeJS.Timeout;
  private readiness?: { at: number; subgraphs: Record<string, string> };
  /** Publishes the record of every operation to the audit log; absent when no event bus is configured. */
  readonly operationLog?: OperationLogPublisher;
  /** Records operations refused before execution, where they can be attributed to a team. */
  readonly refusals?: RefusalLog;
  private schema?: GraphQLSchema;
  port = 0;

  constructor(private readonly config: GatewayConfig) {
    this.logger = createLogger('gateway', config.logLevel);
    const principals = new PrincipalResolver(config.subgraphUrls, config.internalAuthSecret);
    this.principals = principals;
    const production = config.env === 'production';
    this.tracing = createTracing('gateway', config.otlpEndpoint);
    this.rateLimiter = config.redisUrl ? new RedisRateLimiter(new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 })) : new MemoryRateLimiter();
    this.trustedDocuments = loadTrustedDocuments(config.trustedDocumentsPath);
    if (config.operationLog) {
      const { eventBus, databaseUrl, batchSize, waitMs } = config.operationLog;
      this.operationLog = new OperationLogPublisher(createEventBus(eventBus, databaseUrl ?? '', this.logger), this.logger, { batchSize, waitMs });
    } else {
      this.logger.warn('no event bus configured (DATABASE_URL or EVENT_BUS=nats): operations are not recorded in the audit log');
    }
    const operationLog = this.operationLog;
    if (operationLog) {
      const resolvePrincipal = (token: string) => principals.resolve(token).catch(() => undefined);
      this.refusals = new RefusalLog(operationLog, resolvePrincipal, () => this.schema, this.logger);
      this.refusals.onSkipped = (reason) => this.metrics.refusalsUnrecorded.inc({ reason });
    }
    const refusals = this.refusals;
    const logPlugins = operationLog ? operationLogPlugins(operationLog, this.logger, refusals, config.trustedProxies ?? []) : undefined;
    const transportEntries: Record<string, object> = {
      '*': {
        headers: [
          [ASSERTION_HEADER, '{context.consoleAssertion}'],
          ['traceparent', '{context.traceparent}'],
        ],
        options: {
          // Subscriptions reach the owning subgraph over graphql-ws, carrying the same assertion.
          subscriptions: { kind: 'ws', location: GRAPHQL_PATH, options: { connectionParams: { assertion: '{context.consoleAssertion}' } } },
        },
      },
    };
    for (const name of subgraphNames) transportEntries[name] = { location: config.subgraphUrls[name] };
    this.runtime = createGatewayRuntime({
      supergraph: readFileSync(config.supergraphPath, 'utf8'),
      transports: { http: httpTransport, ws: wsTransport } as never,
      transportEntries,
      graphqlEndpoint: GRAPHQL_PATH,
      graphiql: config.env === 'development',
      landingPage: false,
      logging: config.logLevel === 'debug' || config.logLevel === 'trace' ? 'debug' : 'error',
      // Which subgraph failed is our business, not the client's.
      subgraphErrors: { subgraphNameProp: false, errorCode: 'DOWNSTREAM_SERVICE_ERROR' },
      maskedErrors: true,
      disableIntrospection: production ? { disableIf: () => true } : undefined,
      cors: config.corsOrigins?.length ? { origin: config.corsOrigins, credentials: false, methods: ['GET', 'POST'] } : false,
      batching: { limit: this.limits.maxBatch },
      persistedDocuments: {
        getPersistedOperation: (key: string) => this.trustedDocuments.get(key) ?? null,
        // Partners' management keys may send only the operations in the manifest.
        allowArbitraryDocuments: (request: Request) => !(config.trustedDocumentsForKeys && isManagementKey(request.headers.get('authorization'))),
        customErrors: {
          persistedQueryOnly: { message: 'Only trusted documents are accepted for this key', extensions: { code: 'PERSISTED_QUERY_ONLY' } },
          notFound: { message: 'No trusted document has this hash', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
          keyNotFound: { message: 'Send a query, or the hash of a trusted document', extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED' } },
        },
      } as never,
      plugins: () => [
        useParsedBody() as never,
        ...(logPlugins ? [logPlugins.first as never] : []),
        useConsoleAuth(principals, config.internalAuthSecret, this.logger, config.usageReporterTokens, config.trustedProxies) as never,
        ...(operationLimitPlugins(this.limits, production) as never[]),
        useRateLimits(this.rateLimiter, { ...defaultRateLimits, ...config.rateLimits }, this.logger) as never,
        useErrorCodes(this.logger) as never,
        useMetrics(this.metrics) as never,
        ...(logPlugins ? [logPlugins.last as never] : []),
      ],
    });
    this.http = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      if (path === '/readyz') return void this.serveReadiness(res);
      if (path === '/metrics') return void this.serveMetrics(res);
      if (path.startsWith('/webhooks/')) return void this.proxyWebhook(req, res, path);
      if (path === '/export/audit') return void this.proxyExport(req, res);
      const refusal = refuseRequest(req, this.limits.maxBodyBytes);
      if (refusal) return void this.refuseOperation(req, res, refusal);
      if (req.method === 'POST' && path === GRAPHQL_PATH) return void this.handlePost(req, res);
      return void this.runtime(req, res);
    });
    // Slow clients do not get to hold connections open: the whole request within 30 s.
    this.http.requestTimeout = 30_000;
    this.http.headersTimeout = 10_000;
    this.ws = new WebSocketServer({ server: this.http, path: GRAPHQL_PATH, maxPayload: 1024 * 1024 });
  }

  async listen(port = this.config.port, host = this.config.host): Promise<number> {
    // The supergraph must be loaded before the first WebSocket operation arrives.
    this.schema = await this.runtime.getSchema();
    const runtime = this.runtime;
    type RootValue = { execute: (a: ExecutionArgs) => unknown; subscribe: (a: ExecutionArgs) => unknown };
    this.wsCleanup = useServer(
      {
        // A token in connection_init must be a live session; anonymous connections carry none.
        onConnect: async (ctx) => {
          const token = tokenOf({ connectionParams: ctx.connectionParams });
          if (!token) return true;
          try {
            this.sockets.set(ctx.extra.socket, { token, principal: await this.principals.resolve(token) });
            return true;
          } catch {
            return false;
          }
        },
        onClose: (ctx) => {
          this.sockets.delete(ctx.extra.socket);
        },
        execute: (args) => (args.rootValue as RootValue).execute(args) as never,
        subscribe: (args) => (args.rootValue as RootValue).subscribe(args) as never,
        onSubscribe: async (ctx, _id, params) => {
          const socketPrincipal = this.sockets.get(ctx.extra.socket)?.principal;
          // Refused before execution: recorded (where attributable) before the client hears of it.
          const refused = async (errors: readonly GraphQLError[]) => {
            await this.refusals?.record({
              query: params.query,
              operationName: params.operationName,
              variables: params.variables,
              principal: socketPrincipal,
              ...originOf({ req: ctx.extra.request }, this.config.trustedProxies ?? []),
              errors,
            });
            return [...errors];
          };
          if (params.variables && longestString(params.variables) > this.limits.maxVariableStringLength) {
            return refused([new GraphQLError('Variables too large', { extensions: { code: 'VARIABLES_TOO_LARGE' } })]);
          }
          if (this.config.trustedDocumentsForKeys && socketPrincipal?.kind === 'management-key' && !this.trustedDocuments.has(documentHash(params.query))) {
            return refused([new GraphQLError('Only trusted documents are accepted from management keys', { extensions: { code: 'PERSISTED_QUERY_ONLY' } })]);
          }
          const { schema, execute, subscribe, contextFactory, parse, validate } = runtime.getEnveloped({
            ...ctx,
            req: ctx.extra.request,
            socket: ctx.extra.socket,
            params,
          });
          let document;
          try {
            document = parse(params.query);
          } catch (err) {
            return refused([err instanceof GraphQLError ? err : new GraphQLError('Invalid operation', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
          }
          const resolvedSchema = schema ?? (await runtime.getSchema());
          let errors: readonly GraphQLError[];
          try {
            errors = validate(resolvedSchema, document);
          } catch (err) {
            // Limits reject by throwing during validation; the client gets them as errors.
            return refused([err instanceof GraphQLError ? err : new GraphQLError('Invalid operation', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
          }
          if (errors.length) return refused(errors);
          return {
            schema: resolvedSchema,
            operationName: params.operationName,
            document,
            variableValues: params.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe },
          };
        },
      },
      this.ws,
    );
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
    this.revalidation = setInterval(() => void this.revalidateSockets(), this.config.wsRevalidateMs ?? 2000);
    this.revalidation.unref();
    this.logger.info({ port: this.port }, `gateway ready at http://${host}:${this.port}${GRAPHQL_PATH}`);
    return this.port;
  }

  /** Answers a request refused before GraphQL, once the refusal log has recorded it (if it can be attributed). */
  private async refuseOperation(req: IncomingMessage, res: ServerResponse, refusal: Refusal, raw?: Buffer): Promise<void> {
    if (this.refusals && req.method === 'POST') {
      let body: Record<string, unknown> = {};
      try {
        const parsed: unknown = raw ? JSON.parse(raw.toString('utf8')) : undefined;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      } catch {
        // unreadable: recorded without a document
      }
      await this.refusals.record({
        query: body.query,
        operationName: body.operationName,
        variables: body.variables,
        token: bearerToken(req.headers.authorization),
        ...originOf({ req }, this.config.trustedProxies ?? []),
        requestId: validRequestId(req.headers['x-request-id']),
        errors: [{ extensions: { code: refusal.code } }],
      });
    }
    refuse(res, refusal);
  }

  /** Reads the (size-checked) body first, so malformed requests get a clear 400 before GraphQL. */
  private async handlePost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      let raw: Buffer;
      try {
        raw = await readRaw(req, this.limits.maxBodyBytes);
      } catch (err) {
        if (err instanceof HttpError) return this.refuseOperation(req, res, { status: 413, code: 'REQUEST_TOO_LARGE', message: 'Request body too large' });
        throw err;
      }
      const parsed = parseBody(raw, this.limits.maxBatch);
      if ('refusal' in parsed) return this.refuseOperation(req, res, parsed.refusal, raw);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && name !== 'content-length' && name !== 'transfer-encoding') headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const execution = withServerSpan(this.tracing, 'gateway graphql', extractContext(req.headers), { 'service.name': 'gateway' }, () =>
        Promise.resolve(this.runtime.fetch(`http://${req.headers.host ?? 'localhost'}${req.url}`, { method: 'POST', headers }, { req, res, parsedBody: parsed.body })),
      );
      // A stuck subgraph must not hold the client forever: answer 504 at the deadline.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.config.requestTimeoutMs ?? 30_000)));
      const response = await Promise.race([execution, deadline]).finally(() => clearTimeout(timer));
      if (response === 'timeout') {
        execution.catch(() => undefined);
        return refuse(res, { status: 504, code: 'TIMEOUT', message: 'The operation took too long' });
      }
      res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (err) {
      this.logger.error({ err }, 'request failed');
      if (!res.headersSent) refuse(res, { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
    }
  }

  /**
   * Ready when not draining and Identity and Team (every request's authentication) answer their
   * own /readyz; the others are reported, since the gateway serves partial data without them.
   */
  private async serveReadiness(res: ServerResponse): Promise<void> {
    const now = Date.now();
    if (!this.readiness || now - this.readiness.at > 1000) {
      const entries = await Promise.all(
        subgraphNames.map(async (name) => {
          try {
            const r = await fetch(new URL('/readyz', this.config.subgraphUrls[name]), { signal: AbortSignal.timeout(1000) });
            return [name, r.ok ? 'ready' : 'not ready'] as const;
          } catch {
            return [name, 'unreachable'] as const;
          }
        }),
      );
      this.readiness = { at: now, subgraphs: Object.fromEntries(entries) };
    }
    const { subgraphs } = this.readiness;
    const ready = !this.draining && this.port > 0 && subgraphs.identity === 'ready' && subgraphs.team === 'ready';
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ready ? 'ready' : 'not ready', subgraphs }));
  }

  private async serveMetrics(res: ServerResponse): Promise<void> {
    this.metrics.openSockets.set(this.ws.clients.size);
    res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
    res.end(await this.metrics.registry.metrics());
  }

  /** Third-party callbacks go to the subgraph that owns them, byte for byte (callers sign the bytes). */
  private async proxyWebhook(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const owner = WEBHOOK_OWNERS[path.slice('/webhooks/'.length)];
    if (!owner || req.method !== 'POST') return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    try {
      let raw: Buffer;
      try {
        // The owning subgraph takes no more than this; the gateway buffers no more either.
        raw = await readRaw(req, WEBHOOK_MAX_BYTES);
      } catch (err) {
        if (err instanceof HttpError) return void res.writeHead(413, { 'content-type': 'application/json' }).end('{"error":"body too large"}');
        throw err;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && (name === 'content-type' || name.startsWith('github-'))) headers[name] = value;
      }
      const upstream = await fetch(new URL(path, this.config.subgraphUrls[owner]), { method: 'POST', headers, body: new Uint8Array(raw), signal: AbortSignal.timeout(30_000) });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch (err) {
      this.logger.error({ err, path }, 'webhook proxy failed');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"upstream unavailable"}');
    }
  }

  /**
   * `GET /export/audit?teamId=…&from=…&to=…` with the caller's bearer token: the team's audit log
   * as NDJSON, streamed from Audit (which authorizes it as it does `auditLog`) to the client.
   */
  private async proxyExport(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const requestId = randomUUID();
    const { ip, userAgent } = originOf({ req }, this.config.trustedProxies ?? []);
    const principal = await (async () => {
      const token = bearerToken(req.headers.authorization);
      if (!token) return null;
      try {
        return await this.principals.resolve(token);
      } catch (err) {
        if (err instanceof InvalidSessionError) return null;
        throw err;
      }
    })().catch((err) => {
      this.logger.error({ err }, 'principal resolution failed');
      return undefined;
    });
    const teamId = url.searchParams.get('teamId');
    const log = (status: number) =>
      this.operationLog?.record({
        id: randomUUID(),
        occurredAt: new Date().toISOString(),
        teamId: teamId && /^[0-9a-f-]{36}$/i.test(teamId) ? teamId.toLowerCase() : principal?.kind === 'management-key' ? principal.teamId : null,
        actor: {
          ...(principal?.kind === 'user' ? { userId: principal.userId } : {}),
          ...(principal?.kind === 'management-key' ? { apiKeyId: principal.keyId } : {}),
          ...(ip ? { ip } : {}),
          ...(userAgent ? { userAgent } : {}),
        },
        description: 'ExportAuditLog',
        operationType: 'query',
        operationName: null,
        rootFields: [],
        outcome: status < 300 ? 'ALLOWED' : status === 401 || status === 403 ? 'DENIED' : 'FAILED',
        errorCodes: status < 300 ? [] : [String(status)],
        requestId,
      });
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET', 'content-type': 'application/json' }).end('{"error":"method not allowed"}');
    if (principal === undefined) return void refuse(res, { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'Authentication is unavailable; try again shortly' });
    if (principal === null) {
      await log(401);
      return void refuse(res, { status: 401, code: 'UNAUTHENTICATED', message: 'Send a valid bearer token' });
    }
    const assertion = signAssertion({ principal, requestId, ip, userAgent }, this.config.internalAuthSecret);
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    try {
      const upstream = await fetch(new URL(`/export/audit${url.search}`, this.config.subgraphUrls.audit), { headers: { [ASSERTION_HEADER]: assertion }, signal: abort.signal });
      await log(upstream.status);
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
        ...(upstream.ok ? { 'content-disposition': 'attachment; filename="audit-log.ndjson"', 'cache-control': 'no-store' } : {}),
      });
      if (!upstream.body) return void res.end();
      await pipeline(Readable.fromWeb(upstream.body as never), res);
    } catch (err) {
      if (abort.signal.aborted) return;
      this.logger.error({ err }, 'audit export failed');
      if (!res.headersSent) refuse(res, { status: 502, code: 'DOWNSTREAM_SERVICE_ERROR', message: 'Export unavailable' });
      else res.destroy();
    }
  }

  /**
   * Re-checks the session behind every open WebSocket: a revoked session, or one that lost a
   * team or role, has its connection closed (4401 / 4403), which ends its subscriptions.
   */
  private async revalidateSockets(): Promise<void> {
    const entries = [...this.sockets.entries()];
    if (entries.length === 0) return;
    try {
      for (let i = 0; i < entries.length; i += 500) {
        const chunk = entries.slice(i, i + 500);
        const current = await this.principals.resolveMany(chunk.map(([, e]) => e.token));
        chunk.forEach(([socket, entry], j) => {
          const now = current[j];
          if (!now) socket.close(4401, 'Session ended');
          else if (lostAccess(entry.principal, now)) socket.close(4403, 'Team access changed');
          else entry.principal = now;
        });
      }
    } catch (err) {
      this.logger.warn({ err }, 'could not revalidate WebSocket sessions');
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}${GRAPHQL_PATH}`;
  }

  async close(graceMs = this.config.shutdownGraceMs): Promise<void> {
    this.draining = true;
    clearInterval(this.revalidation);
    await this.rateLimiter.close();
    await this.tracing.shutdown();
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    for (const client of this.ws.clients) client.close(1001, 'Server shutting down');
    await this.wsCleanup?.dispose();
    const timer = setTimeout(() => this.http.closeAllConnections(), graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
    // Every request has finished: publish the last records before exiting.
    await this.operationLog?.close(graceMs);
    await this.runtime[Symbol.asyncDispose]();
  }
}

export function createGateway(config: GatewayConfig): Gateway {
  return new Gateway(config);
}
