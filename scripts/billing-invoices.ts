/**
 * Closes a month and issues its invoices now: one per team with invoiced usage in it.
 *
 *   npm run billing:invoices -- 2026-10
 *
 * The Billing subgraph also closes the month that ended last every hour. A period is invoiced at
 * most once per team, so running this again (or beside a replica) issues nothing twice; a month
 * that has not ended yet is refused. Reads the same configuration as the Billing subgraph.
 */
import 'reflect-metadata';
import { loadSubgraphConfig } from '../subgraphs/kit/config';
import { SubgraphApp } from '../subgraphs/kit/subgraph';
import { billingSubgraph } from '../subgraphs/billing/billing.subgraph';

async function main(): Promise<void> {
  const period = process.argv[2];
  if (!period) throw new Error('Usage: npm run billing:invoices -- <YYYY-MM>');
  const config = loadSubgraphConfig('billing', { ...process.env, LOG_LEVEL: 'warn' });
  const app = new SubgraphApp(billingSubgraph, config, { serve: false, relay: false, consumers: false, jobs: false });
  await app.start();
  try {
    const result = await app.services.invoices.close(period);
    console.log(`Period ${result.periodStart}: issued ${result.issued} invoices; ${result.alreadyIssued} teams were invoiced before.`);
  } finally {
    await app.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
