import type { Pool } from 'pg';
import type { EventBusConfig } from '../config';
import type { Logger } from '../logger';
import type { EventBus } from './bus';
import { NatsEventBus } from './nats-bus';
import { PostgresEventBus } from './postgres-bus';

export * from './bus';
export * from './consumer';
export * from './event';
export * from './outbox';
export * from './relay';
export { PostgresEventBus } from './postgres-bus';
export { NatsEventBus } from './nats-bus';

/** The bus named by configuration: PostgreSQL by default, NATS JetStream for several replicas. */
export function createEventBus(config: EventBusConfig, databaseUrl: string, logger: Logger): EventBus {
  if (config.kind === 'nats') return new NatsEventBus(config.natsUrl!, logger, { stream: config.natsStream });
  return new PostgresEventBus(databaseUrl, logger);
}

export type { Pool };
