import type { RunningPostgres } from '../../scripts/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const pg = (globalThis as { __embeddedPostgres?: RunningPostgres }).__embeddedPostgres;
  await pg?.stop();
}
