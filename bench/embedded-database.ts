import { join } from 'node:path';
import { startEmbeddedPostgres, type RunningPostgres } from '../scripts/embedded-postgres';

/**
 * Benches use DATABASE_URL (or TEST_ADMIN_DATABASE_URL) when set; otherwise this starts an
 * embedded PostgreSQL and points the test database helpers at it (before any graph starts).
 * The caller stops what it returns.
 */
export async function embeddedPostgresUnlessConfigured(name: string, log?: (message: string) => void): Promise<RunningPostgres | undefined> {
  if (process.env.TEST_ADMIN_DATABASE_URL || process.env.DATABASE_URL) return undefined;
  log?.('DATABASE_URL is not set: starting an embedded PostgreSQL');
  const embedded = await startEmbeddedPostgres({ dir: join(__dirname, '..', '.data', `bench-${name}-${process.pid}`), ephemeral: true });
  process.env.TEST_ADMIN_DATABASE_URL = embedded.url();
  return embedded;
}
