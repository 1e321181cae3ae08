/**
 * The latest value of a fast stream, at most one every `intervalMs`: the first value goes out at
 * once; values arriving within the interval after a push are folded into one push of the newest
 * at the end of that interval. So a value is never held back longer than `intervalMs`, and a
 * quiet stream pushes each value as soon as it arrives. The source is drained continuously, so
 * a slow consumer only ever holds the newest value. Leaving (`return`) stops the source at once,
 * even while waiting for a value.
 */
export function coalesce<S, T = S>(source: AsyncIterator<S>, intervalMs: number, map: (s: S) => T = (s) => s as unknown as T, now: () => number = Date.now): AsyncIterableIterator<T> {
  return new Coalesced(source, intervalMs, map, now);
}

class Coalesced<S, T> implements AsyncIterableIterator<T> {
  private latest?: { value: S };
  private ended = false;
  private closed = false;
  private lastPush = -Infinity;
  private waiter?: (r: IteratorResult<T>) => void;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly source: AsyncIterator<S>,
    private readonly intervalMs: number,
    private readonly map: (s: S) => T,
    private readonly now: () => number,
  ) {
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const r = await this.source.next();
        if (r.done || this.closed) break;
        this.latest = { value: r.value };
        this.deliver();
      }
    } catch {
      // A failed source ends the stream.
    } finally {
      this.ended = true;
      this.deliver();
    }
  }

  private settle(result: IteratorResult<T>): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(result);
  }

  private deliver(): void {
    if (!this.waiter || this.timer) return;
    if (this.closed || (!this.latest && this.ended)) return this.settle({ value: undefined, done: true });
    if (!this.latest) return;
    const wait = this.lastPush + this.intervalMs - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.deliver();
      }, wait);
      return;
    }
    const { value } = this.latest;
    this.latest = undefined;
    this.lastPush = this.now();
    this.settle({ value: this.map(value), done: false });
  }

  next(): Promise<IteratorResult<T>> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.deliver();
    });
  }

  async return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.settle({ value: undefined, done: true });
      await this.source.return?.();
    }
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
