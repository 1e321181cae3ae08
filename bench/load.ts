/**
 * A closed-loop HTTP load generator: `concurrency` lanes each keep one request in flight until
 * the time is up. Every response is checked, so a fast error never passes for throughput.
 */
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';

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

export async function runLoad({ target, concurrency, durationMs }: LoadRun): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 14);
  let requests = 0;
  let errors = 0;
  let firstError: string | undefined;
  const init = { method: 'POST', headers: target.headers, body: target.body };

  const record = (ms: number, error: string | undefined) => {
    if (requests === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[requests++] = ms;
    if (error !== undefined) {
      errors++;
      firstError ??= error;
    }
  };

  const start = performance.now();
  const deadline = start + durationMs;
  const lane = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      let error: string | undefined;
      try {
        const response = await fetch(target.url, init);
        error = checkResponse(response.status, await response.text(), target.expectedData);
      } catch (err) {
        error = `request failed: ${(err as Error).message}${(err as Error).cause ? ` (${String((err as Error).cause)})` : ''}`;
      }
      record(performance.now() - sent, error);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { requests, errors, elapsedMs: performance.now() - start, latencies: latencies.slice(0, requests), firstError };
}

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
