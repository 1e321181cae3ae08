import { randomBytes } from 'node:crypto';
import { sha256 } from '../../kit/digest';
import { crc32 } from 'node:zlib';

/**
 * Keys look like `cgk_<30 base62 chars of randomness><6 base62 chars of CRC32>`: a fixed prefix
 * so secret scanners can find them, 178 bits of randomness, and a checksum so a lookalike is
 * refused without a database call (the scheme GitHub's own tokens use).
 */
export const API_KEY_PREFIX = 'cgk_';
/** Management keys (partners acting for a team) use the same scheme with their own prefix. */
export const MANAGEMENT_KEY_PREFIX = 'cgm_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const patternFor = (prefix: string) => new RegExp(`^${prefix}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);
export const API_KEY_PATTERN = patternFor(API_KEY_PREFIX);
const patterns: Record<string, RegExp> = { [API_KEY_PREFIX]: API_KEY_PATTERN, [MANAGEMENT_KEY_PREFIX]: patternFor(MANAGEMENT_KEY_PREFIX) };

function base62(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out;
}

function randomBase62(length: number): string {
  // Rejection sampling keeps every character uniform.
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

const checksumOf = (body: string) => base62(BigInt(crc32(body)), CHECKSUM_LENGTH);

export function generateKey(prefix: string): string {
  const body = prefix + randomBase62(RANDOM_LENGTH);
  return body + checksumOf(body);
}

/** Shape and checksum only: no database involved. */
export function isWellFormedKey(candidate: string, prefix: string): boolean {
  if (typeof candidate !== 'string' || !patterns[prefix]?.test(candidate)) return false;
  const body = candidate.slice(0, -CHECKSUM_LENGTH);
  return checksumOf(body) === candidate.slice(-CHECKSUM_LENGTH);
}

export const generateApiKey = () => generateKey(API_KEY_PREFIX);
export const isWellFormedApiKey = (candidate: string) => isWellFormedKey(candidate, API_KEY_PREFIX);

/** Keys are high-entropy, so a fast hash is enough (unlike passwords). */
export const hashApiKey = (secret: string): Buffer => sha256(secret);

export const redactApiKey = (secret: string): string => `${secret.slice(0, 4)}…${secret.slice(-4)}`;
