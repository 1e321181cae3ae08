import type { ModelPrice } from '../../kit/config';

export type TokenKind = 'PROMPT' | 'CACHED_PROMPT' | 'COMPLETION';

/** A period's invoiced usage of one model: the invoiced share of each kind of token, and its amount. */
export interface InvoicedModelUsage {
  model: string;
  /** Uncached prompt tokens plus the model's pre-defined prompt tokens. */
  promptTokens: bigint;
  cachedPromptTokens: bigint;
  completionTokens: bigint;
  invoicedTicks: bigint;
}

export interface InvoiceLine {
  model: string;
  tokenKind: TokenKind;
  description: string;
  quantity: bigint;
  amountTicks: bigint;
}

const labels: Record<TokenKind, string> = {
  PROMPT: 'prompt tokens (pre-defined tokens included)',
  CACHED_PROMPT: 'cached prompt tokens',
  COMPLETION: 'completion tokens',
};

/**
 * One line per model and token kind. The lines of a model add up exactly to what was invoiced
 * for it: each kind gets its share by the configured price (its quantity times its price when
 * the price has not changed), and the rounding remainder goes to the last line.
 */
export function invoiceLines(usage: readonly InvoicedModelUsage[], prices: Record<string, ModelPrice>): InvoiceLine[] {
  const lines: InvoiceLine[] = [];
  for (const u of [...usage].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0))) {
    const price = Object.prototype.hasOwnProperty.call(prices, u.model) ? prices[u.model] : undefined;
    const kinds: { kind: TokenKind; quantity: bigint; weight: bigint }[] = [
      { kind: 'PROMPT' as const, quantity: u.promptTokens, weight: u.promptTokens * (price?.promptTicksPerToken ?? 1n) },
      { kind: 'CACHED_PROMPT' as const, quantity: u.cachedPromptTokens, weight: u.cachedPromptTokens * (price?.cachedPromptTicksPerToken ?? 1n) },
      { kind: 'COMPLETION' as const, quantity: u.completionTokens, weight: u.completionTokens * (price?.completionTicksPerToken ?? 1n) },
    ].filter((k) => k.quantity > 0n || k.weight > 0n);
    const totalWeight = kinds.reduce((sum, k) => sum + k.weight, 0n);
    if (kinds.length === 0 || totalWeight === 0n) {
      if (u.invoicedTicks > 0n) lines.push({ model: u.model, tokenKind: 'PROMPT', description: `${u.model}: ${labels.PROMPT}`, quantity: 0n, amountTicks: u.invoicedTicks });
      continue;
    }
    let left = u.invoicedTicks;
    kinds.forEach((k, i) => {
      const amount = i === kinds.length - 1 ? left : (u.invoicedTicks * k.weight) / totalWeight;
      left -= amount;
      lines.push({ model: u.model, tokenKind: k.kind, description: `${u.model}: ${labels[k.kind]}`, quantity: k.quantity, amountTicks: amount });
    });
  }
  return lines;
}

/** "2026-10" or "2026-10-01" → the period's first and next month's first day, or undefined. */
export function parsePeriod(value: string): { start: string; end: string } | undefined {
  const m = /^(\d{4})-(\d{2})(?:-01)?$/.exec(value.trim());
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (month < 1 || month > 12 || year < 2000 || year > 9999) return undefined;
  const next = month === 12 ? { y: year + 1, m: 1 } : { y: year, m: month + 1 };
  const day = (y: number, mo: number) => `${y}-${String(mo).padStart(2, '0')}-01`;
  return { start: day(year, month), end: day(next.y, next.m) };
}
