import { ApolloServer, HeaderMap, type BaseContext } from '@apollo/server';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { ASSERTION_HEADER, verifyAssertion, type AssertionClaims } from '../auth';
import { DomainError, formatError } from '../errors';
import type { Logger } from '../logger';
import { extractContext, withServerSpan, type Tracing } from '../tracing';
import { HttpError, readBody, readRaw, sendGraphQLError, sendJson } from './body';

export const GRAPHQL_PATH = '/graphql';
const MAX_BODY_BYTES = 1024 * 1024;
// Partners batch many findings into one request.
export const WEBHOOK_MAX_BYTES = 16 * 1024 * 1024;

/** A JSON endpoint beside GraphQL, for service-to-service calls; only a service assertion may call it. */
export type InternalRoute = (body: unknown, claims: AssertionClaims) => Promise<unknown>;

/**
 * An endpoint for a third party (reached through the gateway's /webhooks/ proxy). It gets the
 * raw body bytes, since such callers sign the bytes, and authenticates the call itself.
 */
export type WebhookRoute = (raw: Buffer, headers: Record<string, string | undefined>) => Promise<{ status: number; body: unknown }>;

/**
 * A streamed export (`GET /export/<name>`), reached through the gateway with the caller's
 * assertion. It authorizes before returning; the lines it yields are written as they come,
 * waiting whenever the client reads slower than the database.
 */
export type ExportRoute = (query: URLSearchParams, claims: AssertionClaims) => Promise<AsyncIterable<string>>;

const EXPORT_STATUS: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, BAD_USER_INPUT: 400, NOT_FOUND: 404 };

export interface GraphQLServerOptions<TContext extends BaseContext> {
  name: string;
  schema: GraphQLSchema;
  logger: Logger;
  internalAuthSecret: string;
  /** Builds the per-request (per-subscription, on WebSocket) context from verified claims. */
  createContext(claims: AssertionClaims, requestId: string): Promise<TContext> | TContext;
  isReady(): Promise<boolean>;
  internalRoutes?: Record<string, InternalRoute>;
  webhooks?: Record<string, WebhookRoute>;
  exports?: Record<string, ExportRoute>;
  introspection?: boolean;
  tracing?: Tracing;
}

/**
 * One port serving GraphQL over HTTP (Apollo Server 5) and graphql-ws, plus /healthz,
 * /readyz and internal routes. Every GraphQL request must carry a valid assertion signed by
 * the gateway: a subgraph called directly answers nothing.
 */
export class GraphQLHttpServer<TContext extends BaseContext & { requestId: string }> {
  readonly http: Server;
  private readonly apollo: ApolloServer<TContext>;
  private readonly ws: WebSocketServer;
  private wsCleanup?: { dispose: () => void | Promise<void> };
  private inFlight = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: GraphQLServerOptions<TContext>) {
    const { logger } = options;
    this.apollo = new ApolloServer<TContext>({
      schema: options.schema,
      introspection: options.introspection ?? true,
      includeStacktraceInErrorResponses: false,
      // Shutdown is ours (drain, then close); Apollo's own signal handlers would cut it short.
      stopOnTerminationSignals: false,
      formatError: (formatted, error) => formatError(formatted, error, logger),
      logger: {
        debug: (m) => logger.debug(m),
        info: (m) => logger.info(m),
        warn: (m) => logger.warn(m),
        error: (m) => logger.error(m),
      },
    });
    this.http = createServer((req, res) => void this.handle(req, res));
    this.ws = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
    this.http.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== GRAPHQL_PATH || this.draining) {
        socket.destroy();
        return;
      }
      this.ws.handleUpgrade(req, socket, head, (client) => this.ws.emit('connection', client, req));
    });
  }

  async listen(port: number, host: string): Promise<number> {
    await this.apollo.start();
    this.wsCleanup = useServer<Record<string, unknown>, { claims?: AssertionClaims }>(
      {
        schema: this.options.schema,
        onConnect: (ctx) => {
          const claims = verifyAssertion(ctx.connectionParams?.assertion as string | undefined, this.options.internalAuthSecret);
          if (!claims) return false;
          ctx.extra.claims = claims;
          return true;
        },
        context: async (ctx) => this.options.createContext(ctx.extra.claims!, ctx.extra.claims!.requestId ?? randomUUID()),
        // The same error mapping as HTTP: domain codes kept, internals masked.
        onNext: (_ctx, _id, _payload, _args, result) => {
          if (!result.errors?.length) return result;
          return { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e, this.options.logger)) } as never;
        },
        onError: (_ctx, _id, _payload, errors) => {
          this.options.logger.warn({ errors: errors.map((e) => e.message) }, 'subscription error');
        },
      },
      this.ws,
    );
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve());
    });
    return (this.http.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (url.pathname === '/readyz') {
        const ready = !this.draining && (await this.options.isReady());
        return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
      }
      if (this.draining) {
        res.setHeader('connection', 'close');
        return sendGraphQLError(res, 503, 'SERVICE_UNAVAILABLE', 'Shutting down');
      }
      this.inFlight++;
      try {
        if (url.pathname === GRAPHQL_PATH) return await this.handleGraphQL(req, res, url);
        if (url.pathname.startsWith('/internal/')) return await this.handleInternal(req, res, url.pathname.slice('/internal/'.length));
        if (url.pathname.startsWith('/webhooks/')) return await this.handleWebhook(req, res, url.pathname.slice('/webhooks/'.length));
        if (url.pathname.startsWith('/export/')) return await this.handleExport(req, res, url);
        return sendJson(res, 404, { error: 'not found' });
      } finally {
        this.inFlight--;
        if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      }
    } catch (err) {
      if (err instanceof HttpError) return sendGraphQLError(res, err.status, 'BAD_REQUEST', err.message);
      this.options.logger.error({ err }, 'request failed');
      if (!res.headersSent) sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else res.destroy();
    }
  }

  private claimsOf(req: IncomingMessage): AssertionClaims | null {
    const header = req.headers[ASSERTION_HEADER];
    return verifyAssertion(Array.isArray(header) ? header[0] : header, this.options.internalAuthSecret);
  }

  private async handleGraphQL(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const claims = this.claimsOf(req);
    if (!claims) return sendGraphQLError(res, 401, 'UNAUTHENTICATED', 'Requests must come through the gateway');
    const raw = req.method === 'POST' ? await readBody(req, MAX_BODY_BYTES) : '';
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        return sendGraphQLError(res, 400, 'BAD_REQUEST', 'Malformed JSON body');
      }
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const requestId = claims.requestId || randomUUID();
    const execute = () =>
      this.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: async () => this.options.createContext(claims, requestId),
      });
    const tracing = this.options.tracing;
    const response = tracing
      ? await withServerSpan(tracing, `${this.options.name} graphql`, extractContext(req.headers), { 'service.name': this.options.name, 'request.id': requestId }, execute)
      : await execute();
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  private async handleInternal(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const route = this.options.internalRoutes?.[name];
    if (!route || req.method !== 'POST') return sendJson(res, 404, { error: 'not found' });
    const claims = this.claimsOf(req);
    if (!claims || claims.principal.kind !== 'service') return sendJson(res, 401, { error: 'unauthenticated' });
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_BODY_BYTES)) || 'null');
    } catch {
      return sendJson(res, 400, { error: 'malformed JSON body' });
    }
    return sendJson(res, 200, await route(body, claims));
  }

  private async handleExport(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = this.options.exports?.[url.pathname.slice('/export/'.length)];
    if (!route || req.method !== 'GET') return sendJson(res, 404, { error: 'not found' });
    const claims = this.claimsOf(req);
    if (!claims) return sendGraphQLError(res, 401, 'UNAUTHENTICATED', 'Requests must come through the gateway');
    let lines: AsyncIterable<string>;
    try {
      lines = await route(url.searchParams, claims);
    } catch (err) {
      if (err instanceof DomainError) return sendGraphQLError(res, EXPORT_STATUS[err.code] ?? 400, err.code, err.message);
      throw err;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
    let closed = false;
    res.once('close', () => (closed = true));
    try {
      for await (const line of lines) {
        if (closed) break;
        if (!res.write(`${line}\n`)) await new Promise<void>((resolve) => (res.once('drain', resolve), res.once('close', resolve)));
      }
      res.end();
    } catch (err) {
      // Headers are out: the client sees a cut stream (no final newline-terminated summary), never a partial success.
      this.options.logger.error({ err }, 'export failed mid-stream');
      res.destroy();
    }
  }

  private async handleWebhook(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const route = this.options.webhooks?.[name];
    if (!route || req.method !== 'POST') return sendJson(res, 404, { error: 'not found' });
    let raw: Buffer;
    try {
      raw = await readRaw(req, WEBHOOK_MAX_BYTES);
    } catch (err) {
      if (err instanceof HttpError) return sendJson(res, err.status, { error: 'body too large' });
      throw err;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
    const { status, body } = await route(raw, headers);
    return sendJson(res, status, body);
  }

  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes everything. */
  async close(graceMs: number): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    if (this.inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
      ]);
    }
    for (const client of this.ws.clients) client.close(1001, 'Server shutting down');
    await this.wsCleanup?.dispose();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.ws.close(() => resolve()));
    await closed;
    await this.apollo.stop();
  }
}
