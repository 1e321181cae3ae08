/**
 * Group commit: callers submit items and wait for their results; one worker at a time takes
 * everything waiting (up to `maxBatch`) and processes it as one batch. Under load batches grow,
 * so a hot team's balance row is locked and written once per batch rather than once per event;
 * when idle, a lone item goes through at once.
 */
export class GroupCommit<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  constructor(
    private readonly process: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 5000,
  ) {}

  submit(items: readonly T[]): Promise<R[]> {
    const results = items.map((item) => new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject })));
    if (!this.running) void this.drain();
    return Promise.all(results);
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.process(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(results[i]));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
