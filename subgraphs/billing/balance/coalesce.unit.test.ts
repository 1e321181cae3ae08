import { AsyncQueue } from '../../kit/async-queue';
import { coalesce } from './coalesce';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('coalesce', () => {
  it('pushes a quiet stream value by value, at once', async () => {
    const source = new AsyncQueue<number>();
    const out = coalesce(source, 100);
    source.push(1);
    const started = Date.now();
    expect((await out.next()).value).toBe(1);
    expect(Date.now() - started).toBeLessThan(50);
    await out.return!();
  });

  it('folds a burst into at most one push per interval, always the newest, never staler than the interval', async () => {
    const source = new AsyncQueue<number>();
    const out = coalesce(source, 100);
    const pushes: { value: number; at: number }[] = [];
    const reading = (async () => {
      for await (const value of out) pushes.push({ value, at: Date.now() });
    })();
    const sentAt = new Map<number, number>();
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < 1000) {
      source.push(++n);
      sentAt.set(n, Date.now());
      await sleep(1);
    }
    await sleep(150);
    source.close();
    await reading;
    // ~1 s of values at ~1 ms apart: about 10 pushes, never 2 within 100 ms.
    expect(n).toBeGreaterThan(100);
    expect(pushes.length).toBeGreaterThanOrEqual(8);
    expect(pushes.length).toBeLessThanOrEqual(12);
    for (let i = 1; i < pushes.length; i++) expect(pushes[i].at - pushes[i - 1].at).toBeGreaterThanOrEqual(99);
    expect(pushes[pushes.length - 1].value).toBe(n); // the final balance always arrives
    // Every value pushed was at most ~one interval old (timer slack allowed).
    for (const p of pushes) expect(p.at - sentAt.get(p.value)!).toBeLessThan(100 + 60);
  });

  it('stops listening when the subscriber leaves', async () => {
    let closed = false;
    const source = new AsyncQueue<number>(() => (closed = true));
    const out = coalesce(source, 100);
    source.push(1);
    await out.next();
    await out.return!();
    expect(closed).toBe(true);
  });

  it('stops listening at once when the subscriber leaves while waiting for a value', async () => {
    let closed = false;
    const source = new AsyncQueue<number>(() => (closed = true));
    const out = coalesce(source, 100);
    const waiting = out.next();
    await out.return!();
    expect(closed).toBe(true);
    await expect(waiting).resolves.toEqual({ value: undefined, done: true });
  });
});
