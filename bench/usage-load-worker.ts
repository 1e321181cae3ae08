/**
 * recordUsage load through the gateway, on a thread of its own. The bench's main thread holds a
 * Billing app and whatever earlier runs left behind; its garbage collections (tens of ms each)
 * would otherwise be counted as the gateway's acknowledgement latency. This thread only builds
 * bodies, sends them and times the answers, so its heap and collections stay small.
 */
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

export interface UsageLoad {
  url: string;
  token: string;
  /** The body up to the first event, and each event's JSON after its request id: bodies are spliced, not serialized. */
  head: string;
  eventTail: string;
  /** Request ids are this prefix and a counter, so every run bills fresh requests. */
  requestIdPrefix: string;
  eventsPerRequest: number;
  durationMs: number;
  /** Closed loop: `lanes` callers each keep one request in flight. */
  lanes?: number;
  /** Open loop: requests start at this rate whatever the answers, so latency has no queueing in the client. */
  requestsPerSecond?: number;
}

export interface UsageLoadResult {
  events: number;
  errors: number;
  seconds: number;
  /** Milliseconds per request, in completion order. */
  latencies: number[];
  firstError?: string;
}

export async function runUsageLoad(load: UsageLoad): Promise<UsageLoadResult> {
  const latencies: number[] = [];
  let events = 0;
  let errors = 0;
  let firstError: string | undefined;
  let n = 0;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${load.token}` };
  const call = async () => {
    const at = performance.now();
    try {
      const parts = new Array<string>(load.eventsPerRequest);
      for (let i = 0; i < parts.length; i++) parts[i] = `{"requestId":"${load.requestIdPrefix}${n++}${load.eventTail}`;
      const response = await fetch(load.url, { method: 'POST', headers, body: `${load.head}${parts.join(',')}]}}` });
      const body = (await response.json()) as { data?: { recordUsage: { accepted: number } }; errors?: unknown[] };
      if (body.errors || body.data?.recordUsage.accepted !== load.eventsPerRequest) throw new Error(`unexpected answer: ${JSON.stringify(body).slice(0, 300)}`);
      events += load.eventsPerRequest;
    } catch (err) {
      errors++;
      firstError ??= (err as Error).message;
    }
    latencies.push(performance.now() - at);
  };
  const start = performance.now();
  const deadline = start + load.durationMs;
  if (load.requestsPerSecond) {
    const inFlight: Promise<void>[] = [];
    for (let sent = 0; performance.now() < deadline; await new Promise((r) => setTimeout(r, 2))) {
      const due = Math.floor(((performance.now() - start) / 1000) * load.requestsPerSecond);
      for (; sent < due; sent++) inFlight.push(call());
    }
    await Promise.all(inFlight);
  } else {
    await Promise.all(
      Array.from({ length: load.lanes ?? 1 }, async () => {
        while (performance.now() < deadline) await call();
      }),
    );
  }
  return { events, errors, seconds: (performance.now() - start) / 1000, latencies, firstError };
}

parentPort?.on('message', (load: UsageLoad) => {
  runUsageLoad(load).then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (err: Error) => parentPort!.postMessage({ ok: false, error: err.stack ?? String(err) }),
  );
});
