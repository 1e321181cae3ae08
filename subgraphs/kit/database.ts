import { DataSource, type Logger as TypeOrmLogger, type MixedList, type EntitySchema } from 'typeorm';
import type { Logger } from './logger';

/** Records every SQL statement a data source runs; tests use it to prove batching (no N+1). */
export class StatementLog implements TypeOrmLogger {
  private listeners = new Set<(sql: string) => void>();
  constructor(private readonly logger?: Logger) {}

  /** Collects the statements run while `fn` executes. */
  async capture<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    const statements: string[] = [];
    const listener = (sql: string) => statements.push(sql);
    this.listeners.add(listener);
    try {
      return { result: await fn(), statements };
    } finally {
      this.listeners.delete(listener);
    }
  }

  logQuery(query: string): void {
    for (const l of this.listeners) l(query);
  }
  logQueryError(error: string | Error, query: string): void {
    this.logger?.warn({ err: error, query }, 'query failed');
  }
  logQuerySlow(time: number, query: string): void {
    this.logger?.warn({ ms: time, query }, 'slow query');
  }
  logSchemaBuild(): void {}
  logMigration(message: string): void {
    this.logger?.info({ migration: message }, 'migration');
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger?.warn({ message }, 'typeorm');
  }
}

export interface DatabaseOptions {
  url: string;
  /** The PostgreSQL schema this subgraph owns. */
  schema: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  logger?: Logger;
  poolSize?: number;
}

export function createDataSource(options: DatabaseOptions): { dataSource: DataSource; statements: StatementLog } {
  const statements = new StatementLog(options.logger);
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logging: ['query', 'error', 'warn', 'migration'],
    logger: statements,
    maxQueryExecutionTime: 1000,
    applicationName: `console-graph:${options.schema}`,
    extra: { max: options.poolSize ?? 10 },
  });
  return { dataSource, statements };
}

/**
 * Creates the schema and runs pending migrations. An advisory lock makes concurrent
 * replicas take turns, so a migration never runs twice.
 */
export async function migrate(dataSource: DataSource, schema: string): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`migrations:${schema}`]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`migrations:${schema}`]).catch(() => undefined);
    await runner.release();
  }
}
