/**
 * Load generation for the benches: closed and open loops around any call, the HTTP load of
 * bench:gateway built on them, and a worker thread to run a load on, so that neither the
 * servers nor the bench's own heap can delay the client's clock.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { parentPort, Worker } from 'node:worker_threads';

/** One GraphQL POST, sent the same way every time; must be structured-cloneable (it crosses to a worker). */
export interface LoadTarget {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The `data` every response must carry, exactly. */
  expectedData: unknown;
}

export interface LoadRun {
  target: LoadTarget;
  concurrency: number;
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** From the first request sent to the last response received, so throughput counts the tail too. */
  elapsedMs: number;
  /** Milliseconds, one per request, in completion order. */
  latencies: Float64Array;
  firstError?: string;
}

/** Returns why a response is wrong, or undefined when it is the expected answer. */
export function checkResponse(status: number, text: string, expectedData: unknown): string | undefined {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 300)}`;
  let body: { data?: unknown; errors?: unknown[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `malformed JSON: ${text.slice(0, 300)}`;
  }
  if (body.errors?.length) return `GraphQL errors: ${JSON.stringify(body.errors).slice(0, 300)}`;
  if (!isDeepStrictEqual(body.data, expectedData)) return `unexpected data: ${JSON.stringify(body.data).slice(0, 300)}`;
  return undefined;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

/**
 * POSTs a body over a kept-alive connection and reads the answer as text. Plain node:http rather
 * than fetch: the load generator shares the machine's cores with the servers it measures, and
 * costs them a good deal less this way.
 */
export function post({ url, headers, body }: Pick<LoadTarget, 'url' | 'headers' | 'body'>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What a loop saw: events the calls reported, failed calls, and each call's latency (ms, in completion order). */
export interface LoopResult {
  events: number;
  errors: number;
  /** From the first call started to the last one answered, so throughput counts the tail too. */
  elapsedMs: number;
  latencies: number[];
  firstError?: string;
}

/** Runs a loop's calls; a call resolves to the events it carried and throws when it failed. */
function loop(): { timed: (call: () => Promise<number>) => Promise<void>; done: (start: number) => LoopResult } {
  const result: LoopResult = { events: 0, errors: 0, elapsedMs: 0, latencies: [] };
  const timed = async (call: () => Promise<number>) => {
    const sent = performance.now();
    try {
      // Awaited first: `result.events += await call()` would read the count before the call and lose concurrent lanes' additions.
      const events = await call();
      result.events += events;
    } catch (err) {
      result.errors++;
      result.firstError ??= (err as Error).message;
    }
    result.latencies.push(performance.now() - sent);
  };
  const done = (start: number) => ({ ...result, elapsedMs: performance.now() - start });
  return { timed, done };
}

/** Closed loop: `lanes` callers each keep one call in flight for `ms`. */
export async function closedLoop(lanes: number, ms: number, call: () => Promise<number>): Promise<LoopResult> {
  const { timed, done } = loop();
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (performance.now() < deadline) await timed(call);
    }),
  );
  return done(start);
}

/** Open loop: calls start at a fixed rate whatever the answers, so latency has no queueing in the client. */
export async function openLoop(callsPerSecond: number, ms: number, call: () => Promise<number>): Promise<LoopResult> {
  const { timed, done } = loop();
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  const interval = 1000 / callsPerSecond;
  for (let sent = 0; ; ) {
    const elapsed = performance.now() - start;
    if (elapsed >= ms) break;
    for (const due = Math.floor(elapsed / interval); sent < due; sent++) inFlight.push(timed(call));
    // Sleep until the next call is due rather than polling: the loop shares the machine with what it measures.
    await new Promise((r) => setTimeout(r, (sent + 1) * interval - (performance.now() - start)));
  }
  await Promise.all(inFlight);
  return done(start);
}

/** bench:gateway's load: `concurrency` lanes send the target until the time is up; every response is checked, so a fast error never passes for throughput. */
export async function runLoad({ target, concurrency, durationMs }: LoadRun): Promise<LoadResult> {
  const { errors, elapsedMs, latencies, firstError } = await closedLoop(concurrency, durationMs, async () => {
    let response: { status: number; text: string };
    try {
      response = await post(target);
    } catch (err) {
      throw new Error(`request failed: ${(err as Error).message}`);
    }
    const error = checkResponse(response.status, response.text, target.expectedData);
    if (error !== undefined) throw new Error(error);
    return 1;
  });
  return { requests: latencies.length, errors, elapsedMs, latencies: Float64Array.from(latencies), firstError };
}

type Answer<TResult> = { ok: true; result: TResult } | { ok: false; error: string };

/** The worker side: runs each load it is sent and answers with its result (`transfer`: buffers handed over, not copied). */
export function serveLoads<TRun, TResult>(run: (load: TRun) => Promise<TResult>, transfer: (result: TResult) => ArrayBuffer[] = () => []): void {
  if (!parentPort) throw new Error('a load worker must run as a worker thread');
  const port = parentPort;
  port.on('message', (load: TRun) => {
    run(load).then(
      (result) => port.postMessage({ ok: true, result } satisfies Answer<TResult>, transfer(result)),
      (err: Error) => port.postMessage({ ok: false, error: err.stack ?? String(err) } satisfies Answer<TResult>),
    );
  });
}

/** The bench side: a load generator's thread (a module calling `serveLoads`), one run at a time, warm across runs. */
export class LoadThread<TRun, TResult> {
  private readonly worker: Worker;
  private pending?: { resolve: (r: TResult) => void; reject: (e: Error) => void };

  constructor(file: string) {
    this.worker = new Worker(file);
    this.worker.on('message', (answer: Answer<TResult>) => {
      const pending = this.pending;
      this.pending = undefined;
      if (answer.ok) pending?.resolve(answer.result);
      else pending?.reject(new Error(`load worker failed: ${answer.error}`));
    });
    this.worker.on('error', (err) => {
      this.pending?.reject(err);
      this.pending = undefined;
    });
  }

  run(load: TRun): Promise<TResult> {
    if (this.pending) throw new Error('a load run is already in progress');
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(load);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
