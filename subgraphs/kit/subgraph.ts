import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { TeammateDirectory, TeamOwners } from './access';
import type { AssertionClaims } from './auth';
import type { SubgraphConfig, SubgraphName } from './config';
import { createDataSource, migrate, type StatementLog } from './database';
import { buildFederatedSchema, type FederatedSchemaOptions } from './federation';
import { createTracing, type Tracing } from './tracing';
import { ConsumerRunner, createEventBus, Outbox, OutboxRelay, type EventBus, type EventConsumer } from './events';
import { GraphQLHttpServer, type ExportRoute, type InternalRoute, type WebhookRoute } from './http/server';
import { createLogger, type Logger } from './logger';
import { PostgresPubSub } from './pubsub';
import { Session } from './session';

/** What every subgraph's services are built from. */
export interface SubgraphInfrastructure {
  config: SubgraphConfig;
  logger: Logger;
  dataSource: DataSource;
  statements: StatementLog;
  live: PostgresPubSub;
  outbox: Outbox;
}

export interface RequestContext<TServices, TLoaders> {
  requestId: string;
  teammates?: TeammateDirectory;
  owners?: TeamOwners;
  session: Session;
  claims: AssertionClaims;
  services: TServices;
  loaders: TLoaders;
  logger: Logger;
}

/** Work a subgraph repeats on a timer (e.g. retention); each replica runs it, so it must be safe to run concurrently. */
export interface ScheduledJob {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

export interface SubgraphDefinition<TServices, TLoaders> {
  name: SubgraphName;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
  /** The type-graphql classes and reference resolvers the subgraph schema is built from. */
  schema: FederatedSchemaOptions;
  createServices(infra: SubgraphInfrastructure): TServices;
  /** Fresh DataLoaders for one request, so batching never leaks data between callers. */
  createLoaders(services: TServices, session: Session, claims: AssertionClaims): TLoaders;
  consumers?(services: TServices): EventConsumer[];
  /** For subgraphs with `SelfOrTeammate` fields: which teams another user is in. */
  teammates?(loaders: TLoaders): TeammateDirectory;
  /** Background work that lives as long as the process (caches, flushers). */
  workers?(services: TServices, infra: SubgraphInfrastructure): Worker[];
  /** For rules with `teamOf`: the team owning an object of each kind. */
  owners?(loaders: TLoaders): TeamOwners;
  internalRoutes?(services: TServices): Record<string, InternalRoute>;
  webhooks?(services: TServices): Record<string, WebhookRoute>;
  /** Streamed exports at `GET /export/<name>`, proxied by the gateway with the caller's assertion. */
  exports?(services: TServices): Record<string, ExportRoute>;
  jobs?(services: TServices): ScheduledJob[];
}

export interface Worker {
  start(): void;
  stop(): Promise<void>;
}

export interface SubgraphAppOptions {
  /** Run the outbox relay (on by default); off only to prove crash recovery in tests. */
  relay?: boolean;
  /** Start the event consumers (on by default). */
  consumers?: boolean;
  /** Serve GraphQL over HTTP/WS (on by default); off for operator tools that only need the data. */
  serve?: boolean;
  /** Run scheduled jobs (on by default). */
  jobs?: boolean;
}

/** One running subgraph: database, migrations, event relay and consumers, and its HTTP/WS server. */
export class SubgraphApp<TServices, TLoaders> {
  readonly logger: Logger;
  infra!: SubgraphInfrastructure;
  services!: TServices;
  bus!: EventBus;
  relay!: OutboxRelay;
  consumerRunner!: ConsumerRunner;
  consumers: EventConsumer[] = [];
  private workers: Worker[] = [];
  private tracing?: Tracing;
  port = 0;
  private server?: GraphQLHttpServer<RequestContext<TServices, TLoaders>>;
  private relayPool?: Pool;
  private stopping?: Promise<void>;
  private readonly jobTimers: NodeJS.Timeout[] = [];
  private readonly runningJobs = new Set<Promise<unknown>>();

  constructor(
    readonly definition: SubgraphDefinition<TServices, TLoaders>,
    readonly config: SubgraphConfig,
    private readonly options: SubgraphAppOptions = {},
  ) {
    this.logger = createLogger(definition.name, config.logLevel);
  }

  async start(): Promise<number> {
    const { definition, config, logger } = this;
    const schemaName = definition.name;
    const { dataSource, statements } = createDataSource({
      url: config.databaseUrl,
      schema: schemaName,
      entities: definition.entities,
      migrations: definition.migrations,
      logger,
    });
    await dataSource.initialize();
    await migrate(dataSource, schemaName);
    const live = new PostgresPubSub(config.databaseUrl, `${schemaName}_live`, logger);
    await live.start();
    this.infra = { config, logger, dataSource, statements, live, outbox: new Outbox(schemaName, schemaName) };
    this.services = definition.createServices(this.infra);
    this.workers = definition.workers?.(this.services, this.infra) ?? [];
    for (const worker of this.workers) worker.start();

    this.bus = createEventBus(config.eventBus, config.databaseUrl, logger);
    this.relayPool = new Pool({ connectionString: config.databaseUrl, max: 2, application_name: `relay:${schemaName}` });
    this.relayPool.on('error', (err) => logger.warn({ err }, 'relay pool connection error'));
    this.relay = new OutboxRelay(config.databaseUrl, this.relayPool, schemaName, this.bus, logger);
    if (this.options.relay !== false) this.relay.start();
    this.consumerRunner = new ConsumerRunner(dataSource, schemaName, this.bus, logger);
    this.consumers = definition.consumers?.(this.services) ?? [];
    if (this.options.consumers !== false) await this.consumerRunner.start(this.consumers);
    if (this.options.jobs !== false) for (const job of definition.jobs?.(this.services) ?? []) this.schedule(job);

    if (this.options.serve === false) return 0;
    const schema = await buildFederatedSchema(definition.schema);
    this.tracing = createTracing(definition.name, config.otlpEndpoint);
    this.server = new GraphQLHttpServer({
      tracing: this.tracing,
      name: definition.name,
      schema,
      logger,
      internalAuthSecret: config.internalAuthSecret,
      introspection: config.env !== 'production',
      internalRoutes: definition.internalRoutes?.(this.services),
      webhooks: definition.webhooks?.(this.services),
      exports: definition.exports?.(this.services),
      isReady: async () => {
        try {
          await dataSource.query('SELECT 1');
          return true;
        } catch {
          return false;
        }
      },
      createContext: (claims, requestId): RequestContext<TServices, TLoaders> => {
        const session = new Session(claims.principal);
        const loaders = definition.createLoaders(this.services, session, claims);
        return {
          teammates: definition.teammates?.(loaders),
          owners: definition.owners?.(loaders),
          requestId: requestId || randomUUID(),
          session,
          claims,
          services: this.services,
          loaders,
          logger: logger.child({ requestId }),
        };
      },
    });
    this.port = await this.server.listen(config.port, config.host);
    logger.info({ port: this.port }, `${definition.name} subgraph ready`);
    return this.port;
  }

  private schedule(job: ScheduledJob): void {
    let running: Promise<unknown> | undefined;
    const timer = setInterval(() => {
      if (running || this.stopping) return; // never overlaps itself
      running = job
        .run()
        .then((result) => this.logger.info({ job: job.name, result }, 'scheduled job done'))
        .catch((err) => this.logger.error({ err, job: job.name }, 'scheduled job failed'))
        .finally(() => {
          this.runningJobs.delete(running!);
          running = undefined;
        });
      this.runningJobs.add(running);
    }, job.everyMs);
    timer.unref();
    this.jobTimers.push(timer);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  /** Graceful: stop accepting, finish in-flight work, then close the event machinery and the pool. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.server?.close(this.config.shutdownGraceMs);
      for (const timer of this.jobTimers.splice(0)) clearInterval(timer);
      await Promise.all(this.runningJobs);
      await this.consumerRunner?.stop();
      for (const worker of this.workers) await worker.stop();
      await this.relay?.stop();
      await this.bus?.close();
      await this.relayPool?.end().catch(() => undefined);
      await this.infra?.live.close();
      if (this.infra?.dataSource.isInitialized) await this.infra.dataSource.destroy();
      await this.tracing?.shutdown();
      this.logger.info(`${this.definition.name} subgraph stopped`);
    })();
    return this.stopping;
  }
}

/** Entry point helper: start, and stop cleanly on SIGTERM/SIGINT. */
export async function runSubgraph<TServices, TLoaders>(app: SubgraphApp<TServices, TLoaders>): Promise<void> {
  const shutdown = (signal: string) => {
    app.logger.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (err) => {
        app.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    await app.start();
  } catch (err) {
    app.logger.fatal({ err }, 'failed to start');
    await app.stop().catch(() => undefined);
    process.exit(1);
  }
}
