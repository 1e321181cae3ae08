import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BillingConfig, EventBusConfig, GatewayConfig, MailConfig, SubgraphConfig, SubgraphName } from '../../subgraphs/kit/config';
import { loadBillingConfig, subgraphNames } from '../../subgraphs/kit/config';
import { SubgraphApp, type SubgraphAppOptions, type SubgraphDefinition } from '../../subgraphs/kit/subgraph';
import { subgraphs } from '../../subgraphs';
import { Gateway } from '../../gateway/gateway';
import { GraphClient } from './client';
import { createTestDatabase, type TestDatabase } from './database';
import { startMailbox, type Mailbox } from './smtp-server';

const LOG_LEVEL = (process.env.TEST_LOG_LEVEL ?? 'silent') as SubgraphConfig['logLevel'];

export function subgraphConfig(
  name: SubgraphName,
  databaseUrl: string,
  secret: string,
  eventBus: EventBusConfig = { kind: 'postgres' },
  billing?: Partial<BillingConfig>,
  mail?: MailConfig,
): SubgraphConfig {
  return {
    ...(name === 'billing' ? { billing: { ...loadBillingConfig({}), ...billing } } : {}),
    name,
    env: 'test',
    logLevel: LOG_LEVEL,
    host: '127.0.0.1',
    port: 0,
    databaseUrl,
    internalAuthSecret: secret,
    eventBus,
    shutdownGraceMs: 2000,
    dnsResolvers: [],
    secretScanningKeysUrl: 'http://127.0.0.1:9/unused',
    mail,
  };
}

/** Mail to a loopback SMTP server; senders wake on each new mail, so the poll is only the fallback. */
export const testMailConfig = (mailbox: Mailbox): MailConfig => ({ smtpUrl: mailbox.url, from: 'Console <no-reply@console.test>', pollMs: 1000 });

export interface StartedSubgraph<S> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  app: SubgraphApp<S, any>;
  db: TestDatabase;
  secret: string;
  stop(): Promise<void>;
}

/** One subgraph on its own database, for integration tests. */
export async function startSubgraph<S, L>(
  definition: SubgraphDefinition<S, L>,
  options: { db?: TestDatabase; secret?: string; eventBus?: EventBusConfig; app?: SubgraphAppOptions; billing?: Partial<BillingConfig>; mail?: MailConfig } = {},
): Promise<StartedSubgraph<S>> {
  const db = options.db ?? (await createTestDatabase());
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const app = new SubgraphApp(definition, subgraphConfig(definition.name, db.url, secret, options.eventBus, options.billing, options.mail), options.app);
  await app.start();
  return {
    app,
    db,
    secret,
    stop: async () => {
      await app.stop();
      if (!options.db) await db.drop();
    },
  };
}

export interface TestGraph {
  db: TestDatabase;
  secret: string;
  apps: Record<SubgraphName, SubgraphApp<unknown, unknown>>;
  gateway: Gateway;
  /** The SMTP server every subgraph sends its mail to: what users would receive. */
  mailbox: Mailbox;
  /** A service token the gateway accepts from usage reporters. */
  usageReporterToken: string;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/** The whole graph: four subgraphs and the gateway, on real ports, on a fresh database. */
export async function startGraph(
  options: {
    eventBus?: EventBusConfig;
    wsRevalidateMs?: number;
    billing?: Partial<BillingConfig>;
    subgraphs?: Partial<Pick<SubgraphConfig, 'dnsResolvers' | 'secretScanningKeysUrl' | 'identityOAuth'>>;
    rateLimits?: GatewayConfig['rateLimits'];
    /** Gateway in production mode: no introspection, no field suggestions, limits not echoed. */
    production?: boolean;
    /** Export traces of every service to this OTLP/HTTP endpoint. */
    otlpEndpoint?: string;
    requestTimeoutMs?: number;
    corsOrigins?: string[];
    /** Proxies whose X-Forwarded-For the gateway believes. */
    trustedProxies?: string[];
    /**
     * The gateway records every operation in the audit log (off by default: tests that count a
     * team's audit events exactly would otherwise see their own queries too).
     */
    operationLog?: boolean;
  } = {},
): Promise<TestGraph> {
  const db = await createTestDatabase();
  const secret = randomBytes(32).toString('hex');
  const usageReporterToken = randomBytes(32).toString('hex');
  const mailbox = await startMailbox();
  const apps = {} as Record<SubgraphName, SubgraphApp<unknown, unknown>>;
  for (const name of subgraphNames) {
    const config = {
      ...subgraphConfig(name, db.url, secret, options.eventBus, options.billing, testMailConfig(mailbox)),
      ...options.subgraphs,
      otlpEndpoint: options.otlpEndpoint,
    };
    const app = new SubgraphApp(subgraphs[name] as SubgraphDefinition<unknown, unknown>, config);
    await app.start();
    apps[name] = app;
  }
  const gateway = new Gateway({
    logLevel: LOG_LEVEL,
    host: '127.0.0.1',
    port: 0,
    internalAuthSecret: secret,
    supergraphPath: join(__dirname, '..', '..', 'schema', 'supergraph.graphql'),
    subgraphUrls: Object.fromEntries(subgraphNames.map((n) => [n, apps[n].url])) as Record<SubgraphName, string>,
    shutdownGraceMs: 2000,
    wsRevalidateMs: options.wsRevalidateMs,
    trustedDocumentsForKeys: true,
    trustedDocumentsPath: join(__dirname, '..', '..', 'schema', 'trusted-documents.json'),
    // Tests fire many operations from one address; the rate-limit tests set their own limits.
    rateLimits: options.rateLimits ?? { windowMs: 60_000, operationsPerPrincipal: 1e6, operationsPerIp: 1e6, costPerWindow: 1e9, sensitivePerIp: 1e6 },
    env: options.production ? 'production' : 'test',
    otlpEndpoint: options.otlpEndpoint,
    requestTimeoutMs: options.requestTimeoutMs,
    corsOrigins: options.corsOrigins,
    trustedProxies: options.trustedProxies,
    usageReporterTokens: [usageReporterToken],
    operationLog: options.operationLog ? { eventBus: options.eventBus ?? { kind: 'postgres' }, databaseUrl: db.url, batchSize: 20, waitMs: 5000 } : undefined,
  });
  await gateway.listen();
  return {
    db,
    secret,
    apps,
    gateway,
    mailbox,
    usageReporterToken,
    url: gateway.url,
    wsUrl: gateway.url.replace('http://', 'ws://'),
    stop: async () => {
      await gateway.close(1000);
      for (const name of [...subgraphNames].reverse()) await apps[name].stop();
      await mailbox.close();
      await db.drop();
    },
  };
}

/**
 * Starts the whole graph before a test file's tests and stops it after them; `onStarted` gets the
 * graph and an anonymous client (declare further `beforeAll` hooks after this call to use them).
 */
export function useGraph(onStarted: (started: { graph: TestGraph; anonymous: GraphClient }) => void, options?: Parameters<typeof startGraph>[0]): void {
  let graph: TestGraph | undefined;
  beforeAll(async () => {
    graph = await startGraph(options);
    onStarted({ graph, anonymous: new GraphClient(graph.url) });
  });
  afterAll(async () => {
    await graph?.stop();
  });
}
