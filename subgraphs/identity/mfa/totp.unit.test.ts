import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totp, totpStep } from './totp';

// RFC 6238 appendix B: the seeds are the ASCII digits repeated to the hash's length.
const seeds = {
  sha1: Buffer.from('12345678901234567890', 'ascii'),
  sha256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
} as const;

const vectors: [number, string, keyof typeof seeds][] = [
  [59, '94287082', 'sha1'],
  [59, '46119246', 'sha256'],
  [59, '90693936', 'sha512'],
  [1111111109, '07081804', 'sha1'],
  [1111111109, '68084774', 'sha256'],
  [1111111109, '25091201', 'sha512'],
  [1111111111, '14050471', 'sha1'],
  [1111111111, '67062674', 'sha256'],
  [1111111111, '99943326', 'sha512'],
  [1234567890, '89005924', 'sha1'],
  [1234567890, '91819424', 'sha256'],
  [1234567890, '93441116', 'sha512'],
  [2000000000, '69279037', 'sha1'],
  [2000000000, '90698825', 'sha256'],
  [2000000000, '38618901', 'sha512'],
  [20000000000, '65353130', 'sha1'],
  [20000000000, '77737706', 'sha256'],
  [20000000000, '47863826', 'sha512'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(vectors)('at %i s gives %s with %s', (seconds, expected, algorithm) => {
    expect(totp(seeds[algorithm], seconds * 1000, { digits: 8, algorithm })).toBe(expected);
  });

  it('matches RFC 4226 HOTP values for the first counters', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(expected.map((_, i) => hotp(seeds.sha1, i))).toEqual(expected);
  });

  const secret = seeds.sha1;
  const now = 1_700_000_000_000;

  it('accepts the current step and one step of drift either way, and nothing further', () => {
    const step = totpStep(now);
    expect(matchTotp(secret, hotp(secret, step), now, null)).toBe(step);
    expect(matchTotp(secret, hotp(secret, step - 1), now, null)).toBe(step - 1);
    expect(matchTotp(secret, hotp(secret, step + 1), now, null)).toBe(step + 1);
    expect(matchTotp(secret, hotp(secret, step - 2), now, null)).toBeNull();
    expect(matchTotp(secret, hotp(secret, step + 2), now, null)).toBeNull();
  });

  it('never accepts a step at or before the last one used', () => {
    const step = totpStep(now);
    expect(matchTotp(secret, hotp(secret, step), now, step)).toBeNull();
    expect(matchTotp(secret, hotp(secret, step - 1), now, step - 1)).toBeNull();
    expect(matchTotp(secret, hotp(secret, step + 1), now, step)).toBe(step + 1);
  });

  it('refuses malformed codes', () => {
    expect(matchTotp(secret, '', now, null)).toBeNull();
    expect(matchTotp(secret, '12345', now, null)).toBeNull();
    expect(matchTotp(secret, 'abcdef', now, null)).toBeNull();
  });

  it('round-trips base32 and matches the RFC 4648 vectors', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Encode(Buffer.from('f'))).toBe('MY');
    expect(base32Decode('MZXW6YTBOI').toString()).toBe('foobar');
    expect(base32Decode(base32Encode(secret))).toEqual(secret);
  });

  it('builds an otpauth URI authenticator apps read', () => {
    const text = otpauthUri(secret, 'ada@example.com');
    expect(text.startsWith('otpauth://totp/Console%3Aada%40example.com?')).toBe(true);
    const uri = new URL(text);
    expect(uri.searchParams.get('secret')).toBe(base32Encode(secret));
    expect(uri.searchParams.get('period')).toBe('30');
    expect(uri.searchParams.get('digits')).toBe('6');
  });
});
