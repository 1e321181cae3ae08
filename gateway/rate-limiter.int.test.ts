import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { testEnv } from '../test/support/env';
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from './rate-limiter';

const limiters: { name: string; enabled: boolean; make: () => RateLimiter }[] = [
  { name: 'memory', enabled: true, make: () => new MemoryRateLimiter() },
  // Runs wherever REDIS_URL is configured (CI always configures it).
  { name: 'Redis', enabled: !!testEnv.redisUrl, make: () => new RedisRateLimiter(new Redis(testEnv.redisUrl!), `test:${randomUUID()}:`) },
];

describe.each(limiters.filter((l) => l.enabled))('$name rate limiter', ({ make }) => {
  let limiter: RateLimiter;
  beforeEach(() => {
    limiter = make();
  });
  afterEach(async () => {
    await limiter.close();
  });

  it('allows up to the limit in a window, then refuses with the time left', async () => {
    const key = randomUUID();
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.consume(key, 1, 3, 60_000));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3].retryAfterMs).toBeGreaterThan(0);
    expect(decisions[3].retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('counts amounts (cost), and refuses one that would not fit without spending it', async () => {
    const key = randomUUID();
    expect((await limiter.consume(key, 70, 100, 60_000)).allowed).toBe(true);
    expect((await limiter.consume(key, 40, 100, 60_000)).allowed).toBe(false);
    expect((await limiter.consume(key, 30, 100, 60_000)).allowed).toBe(true);
  });

  it('keeps separate keys apart', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await limiter.consume(a, 1, 1, 60_000);
    expect((await limiter.consume(a, 1, 1, 60_000)).allowed).toBe(false);
    expect((await limiter.consume(b, 1, 1, 60_000)).allowed).toBe(true);
  });

  it('gives each concurrent caller an exact share of the limit', async () => {
    const key = randomUUID();
    const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.consume(key, 1, 20, 60_000)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
  });
});
