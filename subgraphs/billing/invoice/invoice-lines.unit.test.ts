import fc from 'fast-check';
import { loadBillingConfig } from '../../kit/config';
import { invoiceLines, parsePeriod } from './invoice-lines';

const { prices } = loadBillingConfig({});

describe('invoice lines', () => {
  it('gives one line per model and token kind, priced exactly when the prices are unchanged', () => {
    // grok-4: prompt 30000, cached 7500, completion 150000 ticks per token.
    const lines = invoiceLines(
      [
        { model: 'grok-4', promptTokens: 1028n, cachedPromptTokens: 200n, completionTokens: 100n, invoicedTicks: 1028n * 30000n + 200n * 7500n + 100n * 150000n },
        { model: 'grok-3-mini', promptTokens: 10n, cachedPromptTokens: 0n, completionTokens: 5n, invoicedTicks: 10n * 3000n + 5n * 5000n },
      ],
      prices,
    );
    expect(lines.map((l) => [l.model, l.tokenKind, l.quantity, l.amountTicks])).toEqual([
      ['grok-3-mini', 'PROMPT', 10n, 30000n],
      ['grok-3-mini', 'COMPLETION', 5n, 25000n],
      ['grok-4', 'PROMPT', 1028n, 1028n * 30000n],
      ['grok-4', 'CACHED_PROMPT', 200n, 1_500_000n],
      ['grok-4', 'COMPLETION', 100n, 15_000_000n],
    ]);
  });

  it('always adds up to exactly what was invoiced, never negative', () => {
    const big = fc.bigInt({ min: 0n, max: 10n ** 12n });
    fc.assert(
      fc.property(fc.constantFrom('grok-4', 'grok-3-mini', 'retired-model'), big, big, big, big, (model, p, c, o, invoiced) => {
        const lines = invoiceLines([{ model, promptTokens: p, cachedPromptTokens: c, completionTokens: o, invoicedTicks: invoiced }], prices);
        expect(lines.reduce((sum, l) => sum + l.amountTicks, 0n)).toBe(invoiced);
        expect(lines.every((l) => l.amountTicks >= 0n)).toBe(true);
      }),
    );
  });

  it('parses periods and refuses anything else', () => {
    expect(parsePeriod('2026-10')).toEqual({ start: '2026-10-01', end: '2026-11-01' });
    expect(parsePeriod('2026-12-01')).toEqual({ start: '2026-12-01', end: '2027-01-01' });
    expect(parsePeriod('2026-13')).toBeUndefined();
    expect(parsePeriod('2026-10-15')).toBeUndefined();
    expect(parsePeriod('last month')).toBeUndefined();
  });
});
