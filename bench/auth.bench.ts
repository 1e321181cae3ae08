/**
 * Costs and delays of authentication, measured on this machine:
 *   - argon2id time per password hash (OWASP floor: 19 MiB, t=2, p=1);
 *   - how long after `revokeSession` the revoked token is refused over HTTP;
 *   - how long after `revokeSession` an open subscription of that session is closed.
 *
 *   npm run bench:auth -- [--hashes 20] [--trials 5]
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { PasswordHasher } from '../subgraphs/identity/auth/password-hasher';
import type { RunningPostgres } from '../scripts/embedded-postgres';
import { embeddedPostgresUnlessConfigured } from './embedded-database';
import { GraphClient, subscribe } from '../test/support/client';
import { PASSWORD, signUpUserWithTeam } from '../test/support/factories';
import { startGraph } from '../test/support/graph';
import { CreditBalanceChangedDocument, MeDocument, RevokeSessionDocument, SessionsOfMeDocument, SignInDocument } from '../test/operations/generated';
import { numberArg } from './args';

const HASHES = numberArg('hashes', 20);
const TRIALS = numberArg('trials', 5);

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms (n=${sorted.length})`;
};

async function main(): Promise<void> {
  const hasher = new PasswordHasher();
  await hasher.hash('warm-up password');
  const hashTimes: number[] = [];
  for (let i = 0; i < HASHES; i++) {
    const t = performance.now();
    await hasher.hash(`password number ${i}`);
    hashTimes.push(performance.now() - t);
  }

  process.env.NODE_ENV ??= 'test';
  let embedded: RunningPostgres | undefined;
  embedded = await embeddedPostgresUnlessConfigured('auth');
  const graph = await startGraph();
  const anonymous = new GraphClient(graph.url);
  const httpDelays: number[] = [];
  const wsDelays: number[] = [];
  try {
    for (let trial = 0; trial < TRIALS; trial++) {
      const user = await signUpUserWithTeam(anonymous);
      const open = async () => {
        const r = await anonymous.data(SignInDocument, { input: { email: user.email, password: PASSWORD } });
        const client = anonymous.as((r.signIn as { token: string }).token);
        const id = (await client.data(SessionsOfMeDocument)).me!.sessions.find((s) => s.current)!.id;
        return { client, id };
      };
      // HTTP: poll the revoked token until it is refused.
      const web = await open();
      let t = performance.now();
      await user.client.data(RevokeSessionDocument, { id: web.id });
      while ((await web.client.request(MeDocument)).data?.me) await new Promise((r) => setTimeout(r, 5));
      httpDelays.push(performance.now() - t);

      // WebSocket: time from revocation to the socket closing.
      const phone = await open();
      const ws = phone.client.ws();
      let closed = 0;
      ws.on('closed', () => (closed ||= performance.now()));
      const sub = subscribe(ws, CreditBalanceChangedDocument, { teamId: user.personalTeamId });
      await sub.next(300).catch(() => undefined); // subscribed and idle
      t = performance.now();
      await user.client.data(RevokeSessionDocument, { id: phone.id });
      while (!closed && performance.now() - t < 10_000) await new Promise((r) => setTimeout(r, 5));
      wsDelays.push((closed || performance.now()) - t);
      await ws.dispose();
    }
  } finally {
    await graph.stop();
    await embedded?.stop();
  }
  console.log(`argon2id hash (19 MiB, t=2, p=1): ${stats(hashTimes)}`);
  console.log(`revoked session refused over HTTP after: ${stats(httpDelays)}`);
  console.log(`revoked session's subscription closed after: ${stats(wsDelays)} (re-check interval 2000 ms)`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
