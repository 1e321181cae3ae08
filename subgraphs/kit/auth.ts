import { createHmac, timingSafeEqual } from 'node:crypto';

export type TeamRole = 'ADMIN' | 'MEMBER';

export interface TeamMembershipClaim {
  teamId: string;
  role: TeamRole;
}

/** Who is calling, as asserted by the gateway. */
export type Principal =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      userId: string;
      sessionId: string;
      memberships: TeamMembershipClaim[];
      /** When the session signed in (ms). */
      authenticatedAt?: number;
      /** The account has no email address yet (an X sign-up): only adding and verifying one is allowed. */
      emailVerificationRequired?: boolean;
    }
  | { kind: 'service'; service: string }
  /** A partner system acting for one team, limited to the scopes its key was granted. */
  | { kind: 'management-key'; keyId: string; teamId: string; scopes: string[]; createdBy: string };

/** The request metadata the gateway vouches for alongside the principal. */
export interface AssertionClaims {
  principal: Principal;
  requestId: string;
  ip?: string;
  userAgent?: string;
  iat: number;
  exp: number;
}

export const ASSERTION_HEADER = 'x-console-assertion';
const VERSION = 'v1';

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/** Signs a short-lived assertion (HMAC-SHA256) that subgraphs verify with the shared secret. */
export function signAssertion(
  claims: Omit<AssertionClaims, 'iat' | 'exp'>,
  secret: string,
  ttlMs = 60_000,
  now = Date.now(),
): string {
  const full: AssertionClaims = { ...claims, iat: now, exp: now + ttlMs };
  const body = Buffer.from(JSON.stringify(full)).toString('base64url');
  return `${VERSION}.${body}.${mac(secret, `${VERSION}.${body}`).toString('base64url')}`;
}

/** Returns the claims when the assertion is authentic and unexpired; otherwise null. */
export function verifyAssertion(token: string | undefined | null, secret: string, now = Date.now()): AssertionClaims | null {
  if (!token || token.length > 16_384) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return null;
  const expected = mac(secret, `${parts[0]}.${parts[1]}`);
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as AssertionClaims;
    if (typeof claims.exp !== 'number' || claims.exp < now) return null;
    if (!claims.principal || typeof claims.principal.kind !== 'string') return null;
    return claims;
  } catch {
    return null;
  }
}
