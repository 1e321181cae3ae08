/**
 * How fast the gateway turns hostile operations away: the round trip on loopback for each
 * attack of the attack suite, repeated, against a production-mode gateway.
 *
 *   npm run bench:attacks -- [--rounds 50]
 */
import 'reflect-metadata';
import type { RunningPostgres } from '../scripts/embedded-postgres';
import { embeddedPostgresUnlessConfigured } from './embedded-database';
import { attacks, sendAttack } from '../test/attacks/hostile-operations';
import { startGraph } from '../test/support/graph';
import { numberArg } from './args';

const ROUNDS = numberArg('rounds', 50);

async function main(): Promise<void> {
  process.env.NODE_ENV ??= 'test';
  let embedded: RunningPostgres | undefined;
  embedded = await embeddedPostgresUnlessConfigured('attacks');
  const graph = await startGraph({ production: true });
  try {
    for (const attack of attacks) await sendAttack(graph.url, attack); // warm up
    const rows: [string, number, number, number][] = [];
    for (const attack of attacks) {
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) times.push((await sendAttack(graph.url, attack)).ms);
      times.sort((a, b) => a - b);
      const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
      rows.push([attack.name, q(0.5), q(0.99), times.at(-1)!]);
    }
    console.log(`\nhostile operations refused by a production gateway (${ROUNDS} rounds each, loopback round trip)\n`);
    console.log(`${'attack'.padEnd(48)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`);
    for (const [name, p50, p99, max] of rows) console.log(`${name.padEnd(48)} ${p50.toFixed(2).padStart(8)} ${p99.toFixed(2).padStart(8)} ${max.toFixed(2).padStart(8)}`);
    const over = rows.filter(([, p50]) => p50 >= 5);
    console.log(over.length ? `\nover 5 ms at p50: ${over.map(([n]) => n).join(', ')}` : '\nevery attack refused in under 5 ms at p50');
  } finally {
    await graph.stop();
    await embedded?.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
