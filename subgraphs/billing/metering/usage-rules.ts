import type { ModelPrice } from '../../kit/config';
import { ErrorCode } from '../../kit/errors';

/** One inference request's usage, as a usage reporter sends it. */
export interface UsageEvent {
  requestId: string;
  /** The team the reporter believes the key belongs to; optional, and only checked: the key's team is billed. */
  teamId?: string | null;
  apiKeyId: string;
  model: string;
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  occurredAt: Date;
  /** What the request log keeps beyond the bill (all optional). */
  log?: { requestBytes?: number | null; responseBytes?: number | null; bodyDigest?: string | null; requestBody?: string | null; responseBody?: string | null };
}

export interface PricedUsage extends UsageEvent {
  predefinedPromptTokens: number;
  costTicks: bigint;
}

export type Rejected = { outcome: 'rejected'; code: string; message: string };
export type Charged = { outcome: 'accepted'; prepaidTicks: bigint; invoicedTicks: bigint };

export type Verdict = (Charged & { teamId: string }) | { outcome: 'duplicate' } | Rejected;

/** What metering may spend for one team: prepaid credits, then invoiced usage up to the limit. */
export interface Account {
  prepaidTicks: bigint;
  invoicedTicks: bigint;
  limitTicks: bigint;
}

/** What metering knows of an API key: the team it bills, from when it may not, and its spend this month. */
export interface KeyAccount {
  teamId: string;
  disabledAt: Date | null;
  revokedAt: Date | null;
  /** The most the key may spend in a UTC month; null for no cap. */
  capTicks: bigint | null;
  spentTicks: bigint;
}

const MAX_TOKENS = 100_000_000;
const rejected = (code: string, message: string): Rejected => ({ outcome: 'rejected', code, message });

/**
 * The cost of a request: billed prompt tokens are the reported ones plus the model's pre-defined
 * prompt tokens (which a tokenizer count does not show); cached prompt tokens, a part of the
 * prompt tokens, are charged at the cached price.
 */
export function costOf(e: Pick<UsageEvent, 'promptTokens' | 'cachedPromptTokens' | 'completionTokens'>, price: ModelPrice): bigint {
  const uncached = BigInt(e.promptTokens - e.cachedPromptTokens + price.predefinedPromptTokens);
  return uncached * price.promptTicksPerToken + BigInt(e.cachedPromptTokens) * price.cachedPromptTicksPerToken + BigInt(e.completionTokens) * price.completionTicksPerToken;
}

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0 && n <= MAX_TOKENS;

/** Checks an event and prices it, or says why it cannot be billed. */
export function price(e: UsageEvent, prices: Record<string, ModelPrice>, now: Date): PricedUsage | Rejected {
  if (!e.requestId || e.requestId.length > 200) return rejected(ErrorCode.BadUserInput, 'requestId must be 1 to 200 characters');
  if (!e.apiKeyId || e.apiKeyId.length > 200) return rejected(ErrorCode.BadUserInput, 'apiKeyId must be 1 to 200 characters');
  if (!isCount(e.promptTokens) || !isCount(e.cachedPromptTokens) || !isCount(e.completionTokens)) {
    return rejected(ErrorCode.BadUserInput, `token counts must be integers from 0 to ${MAX_TOKENS}`);
  }
  if (e.cachedPromptTokens > e.promptTokens) return rejected(ErrorCode.BadUserInput, 'cachedPromptTokens cannot exceed promptTokens');
  if (Number.isNaN(e.occurredAt.getTime()) || e.occurredAt.getTime() > now.getTime() + 5 * 60_000) {
    return rejected(ErrorCode.BadUserInput, 'occurredAt cannot be in the future');
  }
  const modelPrice = Object.prototype.hasOwnProperty.call(prices, e.model) ? prices[e.model] : undefined;
  if (!modelPrice) return rejected(ErrorCode.UnknownModel, `No price for model ${e.model}`);
  // Written out rather than spread: this runs for every billed request.
  return {
    requestId: e.requestId,
    teamId: e.teamId,
    apiKeyId: e.apiKeyId,
    model: e.model,
    promptTokens: e.promptTokens,
    cachedPromptTokens: e.cachedPromptTokens,
    completionTokens: e.completionTokens,
    occurredAt: e.occurredAt,
    log: e.log,
    predefinedPromptTokens: modelPrice.predefinedPromptTokens,
    costTicks: costOf(e, modelPrice),
  };
}

/** Takes one cost from an account: prepaid first, the rest invoiced up to the limit, or nothing at all. */
export function charge(account: Account, cost: bigint): Charged | Rejected {
  const fromPrepaid = account.prepaidTicks >= cost ? cost : account.prepaidTicks > 0n ? account.prepaidTicks : 0n;
  const toInvoice = cost - fromPrepaid;
  if (toInvoice > 0n) {
    if (account.limitTicks <= 0n) return rejected(ErrorCode.InsufficientCredits, 'Not enough prepaid credits, and invoiced usage is disabled');
    if (account.invoicedTicks + toInvoice > account.limitTicks) return rejected(ErrorCode.SpendingLimitReached, 'The invoiced spending limit for this month is reached');
  }
  account.prepaidTicks -= fromPrepaid;
  account.invoicedTicks += toInvoice;
  return { outcome: 'accepted', prepaidTicks: fromPrepaid, invoicedTicks: toInvoice };
}

/**
 * Why an event cannot be billed to its key, if it cannot: a key billing has not seen (perhaps not
 * yet: retryable), a key of another team than the one reported, a key revoked or disabled when
 * the request was made, or a key whose monthly spend cap the cost would pass.
 */
export function refusalOf(key: KeyAccount | undefined, e: PricedUsage): Rejected | undefined {
  if (!key) return rejected(ErrorCode.UnknownApiKey, 'Billing does not know this API key (yet); retry shortly if it was just created');
  if (e.teamId != null && e.teamId !== key.teamId) return rejected(ErrorCode.ApiKeyTeamMismatch, 'The API key belongs to another team');
  const at = e.occurredAt.getTime();
  const stopped = (key.revokedAt !== null && at >= key.revokedAt.getTime()) || (key.disabledAt !== null && at >= key.disabledAt.getTime());
  if (stopped) return rejected(ErrorCode.ApiKeyRevoked, 'The API key was revoked or disabled when the request was made');
  if (key.capTicks !== null && key.spentTicks + e.costTicks > key.capTicks) return rejected(ErrorCode.ApiKeySpendCapReached, 'The API key’s monthly spend cap is reached');
  return undefined;
}

/**
 * Applies events in order to the accounts and keys (changed in place): a request id already
 * billed, or accepted earlier in the same run, is a duplicate; every other event is charged to
 * its key's team, within the key's cap, or rejected whole. Applying a sequence in one run or
 * split into any consecutive runs gives the same result.
 */
export function meter(accounts: Map<string, Account>, keys: Map<string, KeyAccount>, events: readonly PricedUsage[], billed: Set<string>): Verdict[] {
  return events.map((e) => {
    if (billed.has(e.requestId)) return { outcome: 'duplicate' } as const;
    const key = keys.get(e.apiKeyId);
    const refusal = refusalOf(key, e);
    if (refusal) return refusal;
    let account = accounts.get(key!.teamId);
    if (!account) accounts.set(key!.teamId, (account = { prepaidTicks: 0n, invoicedTicks: 0n, limitTicks: 0n }));
    const verdict = charge(account, e.costTicks);
    if (verdict.outcome !== 'accepted') return verdict;
    key!.spentTicks += e.costTicks;
    billed.add(e.requestId);
    return { outcome: 'accepted', prepaidTicks: verdict.prepaidTicks, invoicedTicks: verdict.invoicedTicks, teamId: key!.teamId };
  });
}
