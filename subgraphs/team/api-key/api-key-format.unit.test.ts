import { API_KEY_PATTERN, generateApiKey, isWellFormedApiKey, redactApiKey } from './api-key-format';

describe('API key format', () => {
  it('makes keys with the product prefix, 30 random characters and a 6-character checksum', () => {
    const key = generateApiKey();
    expect(key).toMatch(API_KEY_PATTERN);
    expect(isWellFormedApiKey(key)).toBe(true);
    // 30 base62 characters carry log2(62^30) ≈ 178 bits: more than the 160 asked for.
    expect(30 * Math.log2(62)).toBeGreaterThan(160);
  });

  it('never repeats a key', () => {
    const keys = new Set(Array.from({ length: 10_000 }, generateApiKey));
    expect(keys.size).toBe(10_000);
  });

  it('rejects any single-character change through the checksum', () => {
    const key = generateApiKey();
    for (let i = 4; i < key.length; i++) {
      const swapped = key.slice(0, i) + (key[i] === 'A' ? 'B' : 'A') + key.slice(i + 1);
      expect(isWellFormedApiKey(swapped)).toBe(false);
    }
  });

  it.each(['', 'cgk_', 'sk-abc', `cgk_${'a'.repeat(35)}`, `xai_${'a'.repeat(36)}`, `cgk_${'!'.repeat(36)}`])('rejects %p', (candidate) => {
    expect(isWellFormedApiKey(candidate)).toBe(false);
  });

  it('shows only the last four characters when redacted', () => {
    const key = generateApiKey();
    expect(redactApiKey(key)).toBe(`cgk_…${key.slice(-4)}`);
  });
});
