/**
 * API key verification on the warm path, and the refusal of malformed keys, side by side.
 *
 *   npm run bench:keys -- [--keys 1000] [--checks 200000]
 *
 * Measures the verifier in-process (what an inference server pays per request when it runs
 * the verifier beside it) and the same check over the internal HTTP route on loopback.
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import type { RunningPostgres } from '../scripts/embedded-postgres';
import { embeddedPostgresUnlessConfigured } from './embedded-database';
import type { TeamServices } from '../subgraphs/team/team.context';
import { generateApiKey } from '../subgraphs/team/api-key/api-key-format';
import { Session } from '../subgraphs/kit/session';
import { startSubgraph } from '../test/support/graph';
import { callInternal } from '../test/support/internal';
import { teamSubgraph } from '../subgraphs/team/team.subgraph';
import { numberArg } from './args';

const KEYS = numberArg('keys', 1000);
const CHECKS = numberArg('checks', 200_000);

function summary(label: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] * 1000;
  return `${label.padEnd(34)} n=${String(s.length).padStart(7)}  p50 ${q(0.5).toFixed(1).padStart(6)} µs  p99 ${q(0.99).toFixed(1).padStart(6)} µs  max ${(s.at(-1)! * 1000).toFixed(0).padStart(6)} µs`;
}

async function main(): Promise<void> {
  process.env.NODE_ENV ??= 'test';
  let embedded: RunningPostgres | undefined;
  embedded = await embeddedPostgresUnlessConfigured('keys');
  const team = await startSubgraph(teamSubgraph, { app: { consumers: false } });
  try {
    const services = team.app.services as TeamServices;
    const userId = '00000000-0000-4000-8000-000000000001';
    const created = await team.app.infra.dataSource.transaction((tx) => services.teams.createPersonalTeam(tx, userId, null));
    const session = new Session({ kind: 'user', userId, sessionId: 's', memberships: [{ teamId: created.id, role: 'ADMIN' }] });
    const secrets: string[] = [];
    for (let i = 0; i < KEYS; i++) secrets.push((await services.apiKeys.create(session, created.id, { name: `k${i}`, acls: ['api-key:model:*'] }, {})).secret);
    const verifier = services.apiKeyVerifier;
    for (const s of secrets) await verifier.verify(s); // warm the cache

    const warm: number[] = [];
    const malformed: number[] = [];
    const lookalikes = secrets.slice(0, 100).map((s) => s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A'));
    for (let i = 0; i < CHECKS; i++) {
      let t = performance.now();
      const ok = await verifier.verify(secrets[i % secrets.length]);
      warm.push(performance.now() - t);
      if (!ok.valid) throw new Error('a good key was refused');
      t = performance.now();
      const bad = await verifier.verify(lookalikes[i % lookalikes.length]);
      malformed.push(performance.now() - t);
      if (bad.valid) throw new Error('a lookalike was accepted');
    }
    const { result: unknownKey, statements } = await team.app.infra.statements.capture(() => verifier.verify(generateApiKey()));
    const http: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      await callInternal(team.app.url, 'verify-api-key', { key: secrets[i % secrets.length] }, team.secret);
      http.push(performance.now() - t);
    }
    const { statements: lookalikeStatements } = await team.app.infra.statements.capture(() => verifier.verify(lookalikes[0]));
    console.log(`\nAPI key verification (${KEYS} keys, ${CHECKS} checks each)\n`);
    console.log(summary('warm path, in process', warm));
    console.log(summary('bad checksum, in process', malformed));
    console.log(summary('warm path, internal HTTP route', http));
    console.log(`\nSQL statements for a bad checksum: ${lookalikeStatements.length}; for an unknown well-formed key: ${statements.length} (${unknownKey.valid ? 'valid?!' : 'refused'})`);
  } finally {
    await team.stop();
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
