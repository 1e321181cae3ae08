/**
 * Operator tool for events a consumer could not apply after all its retries.
 *
 *   npm run dead-letters -- <subgraph> list
 *   npm run dead-letters -- <subgraph> replay <id>
 *
 * Reads the same configuration as the subgraph (DATABASE_URL, INTERNAL_AUTH_SECRET, ...).
 */
import 'reflect-metadata';
import { loadSubgraphConfig, subgraphNames, type SubgraphName } from '../subgraphs/kit/config';
import { SubgraphApp } from '../subgraphs/kit/subgraph';
import { subgraphs } from '../subgraphs';

async function main(): Promise<void> {
  const [name, command, id] = process.argv.slice(2);
  if (!subgraphNames.includes(name as SubgraphName) || !['list', 'replay'].includes(command) || (command === 'replay' && !id)) {
    console.error(`usage: npm run dead-letters -- <${subgraphNames.join('|')}> list | replay <id>`);
    process.exit(2);
  }
  const app = new SubgraphApp(subgraphs[name as SubgraphName], loadSubgraphConfig(name as SubgraphName, { ...process.env, LOG_LEVEL: 'warn' }), {
    serve: false,
    relay: false,
    consumers: false,
  });
  await app.start();
  try {
    if (command === 'list') {
      const letters = await app.consumerRunner.listDeadLetters();
      if (letters.length === 0) console.log('No dead letters.');
      for (const l of letters) {
        console.log(`${l.id}\t${l.failedAt.toISOString()}\t${l.consumer}\t${l.envelope.type}\t${l.eventId}\tattempts=${l.attempts}\t${l.error}`);
      }
    } else {
      await app.consumerRunner.replayDeadLetter(id, app.consumers);
      console.log(`Dead letter ${id} applied and removed.`);
    }
  } finally {
    await app.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
