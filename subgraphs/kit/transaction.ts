import type { DataSource, EntityManager } from 'typeorm';

/** An open database transaction, passed from services to repositories and the outbox. */
export type Tx = EntityManager;

/** Runs work in one transaction; services use it without touching TypeORM themselves. */
export class UnitOfWork {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** The manager for reads outside a transaction. */
  get reader(): EntityManager {
    return this.dataSource.manager;
  }
}

/**
 * Runs one of the hottest statements as a named prepared statement on the transaction's
 * connection: PostgreSQL parses and plans it once per connection instead of on every call.
 * `name` must stand for one fixed SQL text. It goes to the data source's logger like any other
 * statement: captured, logged when it fails or is slow.
 */
export async function queryPrepared<T = Record<string, unknown>>(tx: Tx, name: string, text: string, values: unknown[]): Promise<T[]> {
  if (!tx.queryRunner) throw new Error('queryPrepared must run inside a transaction');
  const client = (await tx.queryRunner.connect()) as { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }> };
  const { logger, options } = tx.connection;
  logger.logQuery(text, values, tx.queryRunner);
  const started = Date.now();
  try {
    const { rows } = await client.query({ name, text, values });
    const ms = Date.now() - started;
    if (options.maxQueryExecutionTime && ms > options.maxQueryExecutionTime) logger.logQuerySlow(ms, text, values, tx.queryRunner);
    return rows;
  } catch (err) {
    logger.logQueryError(err as Error, text, values, tx.queryRunner);
    throw err;
  }
}
