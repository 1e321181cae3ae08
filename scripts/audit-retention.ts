/**
 * Deletes audit events older than the retention period (AUDIT_RETENTION_DAYS, default 365), and
 * API request logs written more than 30 days ago, now.
 * The Audit subgraph also runs this job itself every hour; running it again, or at the same time
 * as a replica, deletes nothing twice.
 *
 *   npm run audit:retention
 *
 * Reads the same configuration as the Audit subgraph (DATABASE_URL or AUDIT_DATABASE_URL, ...).
 * Audit events are deleted through AUDIT_RETENTION_DATABASE_URL, as the audit_retention role
 * (outside production: DATABASE_URL with that user name); the application's role cannot delete them.
 */
import 'reflect-metadata';
import { loadSubgraphConfig } from '../subgraphs/kit/config';
import { SubgraphApp } from '../subgraphs/kit/subgraph';
import { auditSubgraph } from '../subgraphs/audit/audit.subgraph';

async function main(): Promise<void> {
  const config = loadSubgraphConfig('audit', { ...process.env, LOG_LEVEL: 'warn' });
  const app = new SubgraphApp(auditSubgraph, config, { serve: false, relay: false, consumers: false, jobs: false });
  await app.start();
  try {
    const result = await app.services.retention.run();
    console.log(`Deleted ${result.deleted} audit events that occurred before ${result.cutoff.toISOString()} (${config.auditRetentionDays} days), from ${result.chains} team logs.`);
    const logs = await app.services.requestLogs.runRetention();
    console.log(`Deleted ${logs.deleted} API request logs written before ${logs.cutoff.toISOString()} (30 days).`);
  } finally {
    await app.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
