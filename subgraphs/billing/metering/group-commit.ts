/**
 * Group commit: callers submit items and wait for their results; each batch takes every
 * submission waiting (up to `maxBatch` items, a submission never split) and is processed as one.
 * Under load batches grow, so a hot team's balance row is locked and written once per batch
 * rather than once per event; when idle, a lone submission goes through at once. Up to `depth`
 * batches are processed at a time, started in submission order, so one can prepare while
 * another commits.
 */
export class GroupCommit<T, R> {
  private queue: { items: readonly T[]; resolve: (r: R[]) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly process: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 5000,
    private readonly depth = 1,
  ) {}

  submit(items: readonly T[]): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    const result = new Promise<R[]>((resolve, reject) => this.queue.push({ items, resolve, reject }));
    this.dispatch();
    return result;
  }

  private dispatch(): void {
    while (this.inFlight < this.depth && this.queue.length > 0) {
      let taken = 0;
      let size = 0;
      while (taken < this.queue.length && (taken === 0 || size + this.queue[taken].items.length <= this.maxBatch)) size += this.queue[taken++].items.length;
      const submissions = this.queue.splice(0, taken);
      const items = submissions.length === 1 ? [...submissions[0].items] : submissions.flatMap((s) => s.items);
      this.inFlight++;
      let processing: Promise<R[]>;
      try {
        processing = this.process(items);
      } catch (err) {
        processing = Promise.reject(err);
      }
      processing
        .then(
          (results) => {
            let at = 0;
            for (const s of submissions) s.resolve(results.slice(at, (at += s.items.length)));
          },
          (err) => submissions.forEach((s) => s.reject(err)),
        )
        .finally(() => {
          this.inFlight--;
          this.dispatch();
        });
    }
  }
}
