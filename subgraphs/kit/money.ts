/** 1 tick = 1e-10 USD, the unit inference costs are reported in. */
export const TICKS_PER_USD = 10_000_000_000n;

/** Exact decimal dollars with ten places, e.g. 123400000000n -> "12.3400000000". */
export function ticksToUsd(ticks: bigint): string {
  const negative = ticks < 0n;
  const abs = negative ? -ticks : ticks;
  const whole = abs / TICKS_PER_USD;
  const fraction = (abs % TICKS_PER_USD).toString().padStart(10, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}
