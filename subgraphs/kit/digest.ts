import { createHash } from 'node:crypto';

/**
 * SHA-256 of a secret (session, reset or restore token, API key, OAuth state): what is stored
 * and looked up in its place. The secrets are long and random, so a plain hash (no salt, no
 * stretching) keeps them safe and allows lookup by equality.
 */
export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
