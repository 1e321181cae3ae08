/** A team's credit alerts: thresholds as percentages of the last top-up, and which have fired since it. */
export interface CreditAlertState {
  thresholdsPercent: number[];
  topUpTicks: bigint;
  firedPercent: number[];
}

export const MAX_THRESHOLDS = 10;

/** The threshold as money: `percent` of the top-up, rounded down to the tick. */
export const thresholdTicksOf = (topUpTicks: bigint, percent: number): bigint => (topUpTicks * BigInt(percent)) / 100n;

/** Whether `percents` is a valid set of thresholds: distinct whole percentages from 1 to 99, at most MAX_THRESHOLDS. */
export function validThresholds(percents: readonly number[]): boolean {
  return percents.length <= MAX_THRESHOLDS && new Set(percents).size === percents.length && percents.every((p) => Number.isInteger(p) && p >= 1 && p <= 99);
}

/**
 * The thresholds a debit that left `prepaidTicks` has reached and that have not fired since the
 * last top-up, highest first. Each fires once per crossing: the caller records them as fired,
 * and only a new top-up re-arms them.
 */
export function crossedThresholds(state: CreditAlertState, prepaidTicks: bigint): number[] {
  if (state.topUpTicks <= 0n) return [];
  return state.thresholdsPercent
    .filter((p) => !state.firedPercent.includes(p) && prepaidTicks <= thresholdTicksOf(state.topUpTicks, p))
    .sort((a, b) => b - a);
}
