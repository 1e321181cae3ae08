/**
 * `npm start`: the whole graph on one machine. Uses DATABASE_URL when set, otherwise an
 * embedded PostgreSQL kept in .data/; starts the four subgraphs and the gateway as separate
 * processes, prints the gateway URL once all are ready, and stops everything on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { defaultPorts, subgraphNames, type SubgraphName } from '../subgraphs/kit/config';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres';
import { serviceNodeFlags } from './service-node-flags';

const root = join(__dirname, '..');
const started = Date.now();
const children = new Map<string, ChildProcess>();
let postgres: RunningPostgres | undefined;
/** What `npm start` uses of test/support/smtp-server.ts (loaded only when present: it is not built or shipped). */
interface DevelopmentMailbox {
  url: string;
  close(): Promise<void>;
}
interface DevelopmentMail {
  to: string[];
  subject: string;
  body: string;
}
let mailbox: DevelopmentMailbox | undefined;
let stopping = false;

function log(message: string): void {
  process.stdout.write(`[start] ${message}\n`);
}

function startService(name: SubgraphName | 'gateway', env: NodeJS.ProcessEnv): ChildProcess {
  const entry = name === 'gateway' ? 'gateway/main.ts' : `subgraphs/${name}/main.ts`;
  // Own process group: a terminal Ctrl-C reaches only this supervisor, which stops services in order.
  const child = spawn(process.execPath, [...serviceNodeFlags, '-r', '@swc-node/register', entry], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      log(`${name} exited (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  children.set(name, child);
  return child;
}

async function waitReady(name: string, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) throw new Error('stopping');
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not become ready within ${timeoutMs / 1000}s`);
}

function terminate(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping');
  // The gateway first (no new work), then the subgraphs, then the database.
  const gateway = children.get('gateway');
  if (gateway) await terminate(gateway);
  await Promise.all([...children.values()].map(terminate));
  await mailbox?.close().catch(() => undefined);
  if (postgres) {
    log('stopping embedded PostgreSQL');
    await postgres.stop().catch((err) => log(`PostgreSQL stop failed: ${err}`));
  }
  process.exit(code);
}

function printMail(mail: DevelopmentMail): void {
  const rule = '-'.repeat(72);
  process.stdout.write(`${rule}\n[mail] to: ${mail.to.join(', ')}\n[mail] subject: ${mail.subject}\n\n${mail.body}\n${rule}\n`);
}

/**
 * Development without SMTP_URL: a loopback SMTP server that prints what users would receive. It
 * uses the test dependencies (smtp-server, mailparser); without them mail is only logged.
 */
async function startDevelopmentMailbox(): Promise<DevelopmentMailbox | undefined> {
  let start: (options: { onMail: (mail: DevelopmentMail) => void }) => Promise<DevelopmentMailbox>;
  try {
    // A plain require, so the build (which has no test/) never follows it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    start = require('../test/support/smtp-server').startMailbox;
  } catch (err) {
    log(`SMTP_URL is not set and no development SMTP server is available (${(err as Error).message.split('\n')[0]}): mail is only logged`);
    return undefined;
  }
  return start({ onMail: printMail });
}

async function main(): Promise<void> {
  process.on('exit', () => {
    for (const child of children.values()) child.kill('SIGKILL');
  });
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' };
  if (!env.DATABASE_URL) {
    const dir = join(root, '.data', 'postgres');
    log(`DATABASE_URL is not set: starting embedded PostgreSQL in ${dir}`);
    postgres = await startEmbeddedPostgres({ dir, port: Number(env.EMBEDDED_POSTGRES_PORT ?? 54329) });
    env.DATABASE_URL = postgres.url();
  }
  if (!env.INTERNAL_AUTH_SECRET) {
    // Fine for one local run; production sets a long-lived secret shared by gateway and subgraphs.
    env.INTERNAL_AUTH_SECRET = randomBytes(32).toString('hex');
  }
  if (!env.SMTP_URL && env.NODE_ENV !== 'production') {
    mailbox = await startDevelopmentMailbox();
    if (mailbox) {
      env.SMTP_URL = mailbox.url;
      log(`SMTP_URL is not set: mail goes to a local SMTP server at ${mailbox.url} and is printed here`);
    }
  }
  let reporterToken: string | undefined;
  if (!env.USAGE_REPORTER_TOKENS && env.NODE_ENV !== 'production') {
    // Lets a local inference server (or curl) call recordUsage; production configures its own.
    reporterToken = randomBytes(32).toString('hex');
    env.USAGE_REPORTER_TOKENS = reporterToken;
  }
  // Start the subgraphs one after another the first time, so their migrations do not contend.
  for (const name of subgraphNames) {
    startService(name, env);
    await waitReady(name, Number(env[`${name.toUpperCase()}_PORT`] ?? defaultPorts[name]));
  }
  // The gateway gets the same DATABASE_URL (and EVENT_BUS): it publishes its operation log there.
  startService('gateway', env);
  const gatewayPort = Number(env.GATEWAY_PORT ?? defaultPorts.gateway);
  await waitReady('gateway', gatewayPort);
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  log(`gateway: http://127.0.0.1:${gatewayPort}/graphql`);
  if (reporterToken) log(`usage-reporter token (development, for recordUsage): ${reporterToken}`);
}

main().catch((err) => {
  log(`failed: ${err instanceof Error ? err.message : err}`);
  void stop(1);
});
