import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../scripts/embedded-postgres';

/** One database server for the whole run: the configured one, or an embedded one. */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  const dir = join(__dirname, '..', '..', '.data', `test-postgres-${process.pid}`);
  const pg = await startEmbeddedPostgres({ dir, ephemeral: true });
  process.env.TEST_ADMIN_DATABASE_URL = pg.url('postgres');
  (globalThis as { __embeddedPostgres?: typeof pg }).__embeddedPostgres = pg;
}
