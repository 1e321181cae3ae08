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
