import { ticksToUsd } from './money';
import { toCreditBalance } from './credit-balance.view';

describe('ticksToUsd', () => {
  it.each([
    [0n, '0.0000000000'],
    [1n, '0.0000000001'],
    [123_400_000_000n, '12.3400000000'],
    [-5_000_000_001n, '-0.5000000001'],
    [10n ** 25n, '1000000000000000.0000000000'],
  ])('renders %p ticks as %p dollars', (ticks, usd) => {
    expect(ticksToUsd(ticks)).toBe(usd);
  });
});

describe('available credit', () => {
  const at = new Date(0);
  it('is prepaid plus what the invoiced limit still allows', () => {
    const b = toCreditBalance({ teamId: 't', prepaidTicks: 100n, invoicedThisPeriodTicks: 30n, invoicedLimitTicks: 50n, periodStart: '1970-01-01', updatedAt: at });
    expect(b.available.ticks).toBe(120n);
  });

  it('never counts an overspent invoice limit as negative headroom', () => {
    const b = toCreditBalance({ teamId: 't', prepaidTicks: 0n, invoicedThisPeriodTicks: 80n, invoicedLimitTicks: 50n, periodStart: '1970-01-01', updatedAt: at });
    expect(b.available.ticks).toBe(0n);
  });
});
