/**
 * recordUsage load through the gateway, on a thread of its own. The bench's main thread holds a
 * Billing app and whatever earlier runs left behind; its garbage collections (tens of ms each)
 * would otherwise be counted as the gateway's acknowledgement latency. This thread only builds
 * bodies, sends them and times the answers, so its heap and collections stay small.
 */
import { closedLoop, openLoop, post, serveLoads, type LoopResult } from './load';

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

export async function runUsageLoad(load: UsageLoad): Promise<LoopResult> {
  let n = 0;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${load.token}` };
  const call = async () => {
    const parts = new Array<string>(load.eventsPerRequest);
    for (let i = 0; i < parts.length; i++) parts[i] = `{"requestId":"${load.requestIdPrefix}${n++}${load.eventTail}`;
    const response = await post({ url: load.url, headers, body: `${load.head}${parts.join(',')}]}}` });
    const body = JSON.parse(response.text) as { data?: { recordUsage: { accepted: number } }; errors?: unknown[] };
    if (body.errors || body.data?.recordUsage.accepted !== load.eventsPerRequest) throw new Error(`unexpected answer: ${JSON.stringify(body).slice(0, 300)}`);
    return load.eventsPerRequest;
  };
  return load.requestsPerSecond ? openLoop(load.requestsPerSecond, load.durationMs, call) : closedLoop(load.lanes ?? 1, load.durationMs, call);
}

serveLoads(runUsageLoad);
