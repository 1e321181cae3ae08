import type { Redis } from 'ioredis';

export interface RateDecision {
  allowed: boolean;
  retryAfterMs: number;
}

/** Fixed-window counters: `amount` more in the window for `key`, allowed while within `limit`. */
export interface RateLimiter {
  consume(key: string, amount: number, limit: number, windowMs: number): Promise<RateDecision>;
  close(): Promise<void>;
}

/** One gateway on one machine: counters in memory. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { start: number; used: number }>();
  private sweeps = 0;

  async consume(key: string, amount: number, limit: number, windowMs: number, now = Date.now()): Promise<RateDecision> {
    const start = now - (now % windowMs);
    let window = this.windows.get(key);
    if (!window || window.start !== start) this.windows.set(key, (window = { start, used: 0 }));
    if (++this.sweeps % 10_000 === 0) for (const [k, w] of this.windows) if (w.start < start) this.windows.delete(k);
    if (window.used + amount > limit) return { allowed: false, retryAfterMs: start + windowMs - now };
    window.used += amount;
    return { allowed: true, retryAfterMs: 0 };
  }

  async close(): Promise<void> {}
}

// Atomic add-if-room: one round trip, shared by every gateway replica.
const SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if used + amount > tonumber(ARGV[2]) then
  return {0, redis.call('PTTL', KEYS[1])}
end
redis.call('INCRBY', KEYS[1], amount)
if used == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, 0}`;

/** Several gateway replicas: counters in Redis. */
export class RedisRateLimiter implements RateLimiter {
  constructor(private readonly redis: Redis, private readonly prefix = 'ratelimit:') {}

  async consume(key: string, amount: number, limit: number, windowMs: number, now = Date.now()): Promise<RateDecision> {
    const start = now - (now % windowMs);
    const [allowed, pttl] = (await this.redis.eval(SCRIPT, 1, `${this.prefix}${key}:${start}`, amount, limit, windowMs)) as [number, number];
    return { allowed: allowed === 1, retryAfterMs: allowed === 1 ? 0 : Math.max(pttl, 0) };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
