import { ServiceTokens } from './service-tokens';

describe('usage-reporter service tokens', () => {
  const a = 'a'.repeat(40);
  const b = 'b'.repeat(48);
  const tokens = new ServiceTokens([a, b]);

  it('accepts each configured token', () => {
    expect(tokens.matches(a)).toBe(true);
    expect(tokens.matches(b)).toBe(true);
  });

  it('refuses anything else, including prefixes and extensions of a token', () => {
    expect(tokens.matches(a.slice(0, 39))).toBe(false);
    expect(tokens.matches(`${a}a`)).toBe(false);
    expect(tokens.matches('')).toBe(false);
  });

  it('accepts nothing when none is configured', () => {
    expect(new ServiceTokens([]).matches(a)).toBe(false);
  });
});
