import { timingSafeEqual } from 'node:crypto';
import { sha256 } from '../subgraphs/kit/digest';

/**
 * Usage reporters (inference servers) authenticate with service tokens from configuration.
 * A presented token is compared with every configured one in constant time (SHA-256 digests of
 * equal length, no early exit), so timing reveals neither a token nor how much of one matched.
 */
export class ServiceTokens {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(sha256);
  }

  matches(token: string): boolean {
    const given = sha256(token);
    let found = false;
    for (const expected of this.digests) found = timingSafeEqual(given, expected) || found;
    return found;
  }
}
