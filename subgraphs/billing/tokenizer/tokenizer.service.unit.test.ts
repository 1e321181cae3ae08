import { loadBillingConfig } from '../../kit/config';
import { TokenizerService } from './tokenizer.service';

const tokenizer = new TokenizerService(loadBillingConfig({}).prices);

describe('tokenizer', () => {
  it('splits text with the real BPE ranks and rebuilds it from the tokens', () => {
    const r = tokenizer.tokenize('grok-4', 'tokenization is fun');
    expect(r.tokens).toEqual([
      { id: 10346, text: 'token' },
      { id: 2860, text: 'ization' },
      { id: 382, text: ' is' },
      { id: 2827, text: ' fun' },
    ]);
    expect(r.tokenCount).toBe(4);
    const text = 'Ünïcödé and   spaces\nnew lines, numbers 12345.';
    expect(tokenizer.tokenize('grok-4', text).tokens.map((t) => t.text).join('')).toBe(text);
  });

  it('adds the model’s pre-defined prompt tokens to the estimate, not to the count', () => {
    const r = tokenizer.tokenize('grok-4', 'Hello world');
    expect(r).toMatchObject({ tokenCount: 2, predefinedPromptTokens: 28, billedPromptTokens: 30, estimatedPromptCostTicks: 30n * 30_000n });
    expect(tokenizer.tokenize('grok-3-mini', '')).toMatchObject({ tokenCount: 0, billedPromptTokens: 28, estimatedPromptCostTicks: 28n * 3_000n });
  });

  it('refuses an unknown model and overlong text', () => {
    expect(() => tokenizer.tokenize('gpt-0', 'hi')).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }));
    expect(() => tokenizer.tokenize('grok-4', 'a'.repeat(32_001))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});
