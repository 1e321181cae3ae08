import { newNumericCode, newOneTimeCode, SecretBox } from './secret-box';

const box = new SecretBox('k'.repeat(40));

describe('SecretBox', () => {
  it('encrypts so that only the same key and user read it back', () => {
    const secret = Buffer.from('12345678901234567890');
    const sealed = box.encrypt(secret, 'user-a');
    expect(sealed.includes(secret)).toBe(false);
    expect(box.decrypt(sealed, 'user-a')).toEqual(secret);
    expect(() => box.decrypt(sealed, 'user-b')).toThrow();
    expect(() => new SecretBox('x'.repeat(40)).decrypt(sealed, 'user-a')).toThrow();
  });

  it('finds a code among hashes regardless of case and dashes, and only for its user', () => {
    const codes = Array.from({ length: 10 }, () => newOneTimeCode());
    expect(new Set(codes).size).toBe(10);
    const hashes = codes.map((c) => box.hashCode(c, 'user-a'));
    expect(box.findCode(codes[3].toLowerCase().replace(/-/g, ' '), 'user-a', hashes)).toBe(3);
    expect(box.findCode(codes[3], 'user-b', hashes)).toBe(-1);
    expect(box.findCode('AAAA-AAAA-AAAA-AAAA', 'user-a', hashes)).toBe(-1);
  });

  it('makes recovery codes of 80 random bits and six-digit mail codes', () => {
    expect(newOneTimeCode()).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
    expect(newNumericCode()).toMatch(/^\d{6}$/);
  });
});
