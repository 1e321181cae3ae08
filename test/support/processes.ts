import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { SubgraphName } from '../../subgraphs/kit/config';
import { freePort } from '../../scripts/embedded-postgres';

const root = join(__dirname, '..', '..');

/** A subgraph (or the gateway) running as its own OS process, so tests can kill it the hard way. */
export class SubgraphProcess {
  private child?: ChildProcess;
  port = 0;
  output = '';

  constructor(
    readonly name: SubgraphName | 'gateway',
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    this.port ||= await freePort();
    const main = this.name === 'gateway' ? join(root, 'gateway', 'main.ts') : join(root, 'subgraphs', this.name, 'main.ts');
    this.child = spawn(process.execPath, ['-r', '@swc-node/register', main], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', HOST: '127.0.0.1', [`${this.name.toUpperCase()}_PORT`]: String(this.port), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (c) => (this.output += c));
    this.child.stderr!.on('data', (c) => (this.output += c));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited during start-up:\n${this.output}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} did not become ready:\n${this.output}`);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
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
