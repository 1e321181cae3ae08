import { randomBytes } from 'node:crypto';
import { sha256 } from '../../kit/digest';

const PREFIX = 'cgs_';

/** A new bearer token: 256 random bits behind a recognizable prefix. */
export function newSessionToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export const hashSessionToken = (token: string): Buffer => sha256(token);

export function looksLikeSessionToken(token: string): boolean {
  return token.startsWith(PREFIX) && token.length === PREFIX.length + 43;
}
