import { GroupCommit } from './group-commit';

/** A batch processor whose batches finish only when the test says so. */
function heldProcessor() {
  const batches: { items: number[]; finish: () => void }[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const process = (items: number[]) =>
    new Promise<string[]>((resolve) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      batches.push({
        items,
        finish: () => {
          inFlight--;
          resolve(items.map((i) => `done ${i}`));
        },
      });
    });
  return { process, batches, mostInFlight: () => mostInFlight };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('group commit', () => {
  it('keeps at most `depth` batches in flight, starts them in submission order, and answers each submission with its own results', async () => {
    const held = heldProcessor();
    const commit = new GroupCommit(held.process, 100, 2);
    const a = commit.submit([1, 2]);
    const b = commit.submit([3]);
    const c = commit.submit([4, 5]);
    const d = commit.submit([6]);
    await tick();
    // The first two submissions go at once, one batch each; the rest wait for a slot.
    expect(held.batches.map((x) => x.items)).toEqual([[1, 2], [3]]);
    held.batches[1].finish();
    await tick();
    // A freed slot takes every submission waiting, whole, as one batch.
    expect(held.batches.map((x) => x.items)).toEqual([[1, 2], [3], [4, 5, 6]]);
    held.batches[0].finish();
    held.batches[2].finish();
    expect(await Promise.all([a, b, c, d])).toEqual([['done 1', 'done 2'], ['done 3'], ['done 4', 'done 5'], ['done 6']]);
    expect(held.mostInFlight()).toBe(2);
  });

  it('never splits a submission, and starts a new batch when the next one would pass the batch size', async () => {
    const held = heldProcessor();
    const commit = new GroupCommit(held.process, 3, 1);
    const first = commit.submit([1]);
    const rest = [commit.submit([2, 3]), commit.submit([4, 5]), commit.submit([6, 7, 8, 9])];
    await tick();
    held.batches[0].finish();
    await tick();
    held.batches[1].finish();
    await tick();
    held.batches[2].finish();
    await tick();
    held.batches[3].finish();
    await Promise.all([first, ...rest]);
    expect(held.batches.map((x) => x.items)).toEqual([[1], [2, 3], [4, 5], [6, 7, 8, 9]]);
  });

  it('fails every submission of a batch whose processing failed, and goes on with the next', async () => {
    let calls = 0;
    const commit = new GroupCommit(async (items: number[]) => {
      if (calls++ === 0) throw new Error('commit failed');
      return items.map((i) => i * 10);
    });
    const failed = commit.submit([1]);
    const next = commit.submit([2]);
    await expect(failed).rejects.toThrow('commit failed');
    expect(await next).toEqual([20]);
  });
});
