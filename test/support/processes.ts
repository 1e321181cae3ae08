import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { SubgraphName } from '../../subgraphs/kit/config';
import { freePort } from '../../scripts/embedded-postgres';
import { serviceNodeFlags } from '../../scripts/service-node-flags';

const root = join(__dirname, '..', '..');

/** A service running as its own OS process, so tests can kill it the hard way. */
class ServiceProcess {
  private child?: ChildProcess;
  port = 0;
  output = '';

  constructor(
    private readonly label: string,
    private readonly entry: string,
    private readonly portVariable: string,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    this.port ||= await freePort();
    this.child = spawn(process.execPath, [...serviceNodeFlags, '-r', '@swc-node/register', join(root, this.entry)], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', HOST: '127.0.0.1', [this.portVariable]: String(this.port), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (c) => (this.output += c));
    this.child.stderr!.on('data', (c) => (this.output += c));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.label} exited during start-up:\n${this.output}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.label} did not become ready:\n${this.output}`);
  }

  /** The OS process id while running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/graphql`;
  }

  /** SIGKILL: no shutdown hooks, no flushing; the crash the outbox exists for. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A subgraph as its own process; several may run side by side as replicas on one database. */
export class SubgraphProcess extends ServiceProcess {
  constructor(
    readonly name: SubgraphName,
    env: Record<string, string>,
  ) {
    super(name, join('subgraphs', name, 'main.ts'), `${name.toUpperCase()}_PORT`, env);
  }
}

/**
 * The gateway as its own process, configured by environment as in production (IDENTITY_URL,
 * AUDIT_URL, ...); each replica may be pointed at different subgraph replicas.
 */
export class GatewayProcess extends ServiceProcess {
  constructor(env: Record<string, string>) {
    super('gateway', join('gateway', 'main.ts'), 'GATEWAY_PORT', env);
  }
}
