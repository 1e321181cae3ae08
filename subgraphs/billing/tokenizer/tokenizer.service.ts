import type { ModelPrice } from '../../kit/config';
import { badInput, DomainError, ErrorCode } from '../../kit/errors';
import { costOf } from '../metering/usage-rules';
import { bpe } from './bpe';

export const MAX_TOKENIZE_CHARS = 32_000;

export interface Tokenized {
  model: string;
  tokens: { id: number; text: string }[];
  tokenCount: number;
  predefinedPromptTokens: number;
  billedPromptTokens: number;
  estimatedPromptCostTicks: bigint;
}

/**
 * Tokenizes text with a real BPE tokenizer and estimates what a prompt of that text would cost:
 * the model's pre-defined prompt tokens are billed on top of the tokens the text shows.
 */
export class TokenizerService {
  constructor(private readonly prices: Record<string, ModelPrice>) {}

  tokenize(model: string, text: string): Tokenized {
    const price = Object.prototype.hasOwnProperty.call(this.prices, model) ? this.prices[model] : undefined;
    if (!price) throw new DomainError(ErrorCode.UnknownModel, `No tokenizer or price for model ${model}`, { model });
    if (text.length > MAX_TOKENIZE_CHARS) throw badInput(`text can be at most ${MAX_TOKENIZE_CHARS} characters`, { field: 'text' });
    const encoder = bpe();
    // A token can hold part of a multi-byte character; its text then shows U+FFFD for the part.
    const tokens = encoder.encode(text).map((id) => ({ id, text: encoder.decode([id]) }));
    return {
      model,
      tokens,
      tokenCount: tokens.length,
      predefinedPromptTokens: price.predefinedPromptTokens,
      billedPromptTokens: tokens.length + price.predefinedPromptTokens,
      estimatedPromptCostTicks: costOf({ promptTokens: tokens.length, cachedPromptTokens: 0, completionTokens: 0 }, price),
    };
  }
}
