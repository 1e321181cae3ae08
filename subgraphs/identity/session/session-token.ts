import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'cgs_';

/** A new bearer token: 256 random bits behind a recognizable prefix. */
export function newSessionToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export function hashSessionToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function looksLikeSessionToken(token: string): boolean {
  return token.startsWith(PREFIX) && token.length === PREFIX.length + 43;
}
