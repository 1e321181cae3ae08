import { crossedThresholds, thresholdTicksOf, validThresholds } from './credit-alert-rules';

describe('credit alert thresholds', () => {
  const state = { thresholdsPercent: [50, 20, 5], topUpTicks: 1000n, firedPercent: [] as number[] };

  it('are percentages of the last top-up, rounded down to the tick', () => {
    expect(thresholdTicksOf(1000n, 5)).toBe(50n);
    expect(thresholdTicksOf(999n, 50)).toBe(499n);
  });

  it('fire when the balance is at or below them, every one reached at once, highest first', () => {
    expect(crossedThresholds(state, 501n)).toEqual([]);
    expect(crossedThresholds(state, 500n)).toEqual([50]);
    expect(crossedThresholds(state, 10n)).toEqual([50, 20, 5]);
  });

  it('never fire again once fired, until a top-up re-arms them, and never without a top-up', () => {
    expect(crossedThresholds({ ...state, firedPercent: [50] }, 400n)).toEqual([]);
    expect(crossedThresholds({ ...state, firedPercent: [50] }, 200n)).toEqual([20]);
    expect(crossedThresholds({ ...state, topUpTicks: 0n }, 0n)).toEqual([]);
  });

  it('accept up to ten distinct whole percentages from 1 to 99', () => {
    expect(validThresholds([50, 20, 5])).toBe(true);
    expect(validThresholds([])).toBe(true);
    for (const bad of [[0], [100], [50, 50], [12.5], Array.from({ length: 11 }, (_, i) => i + 1)]) expect(validThresholds(bad)).toBe(false);
  });
});
