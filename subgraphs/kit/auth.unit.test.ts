import { signAssertion, verifyAssertion } from './auth';

const secret = 's'.repeat(64);
const claims = {
  principal: { kind: 'user' as const, userId: 'u1', sessionId: 's1', memberships: [{ teamId: 't1', role: 'ADMIN' as const }] },
  requestId: 'req-1',
};

describe('gateway assertions', () => {
  it('round-trips the principal when signed with the shared secret', () => {
    const token = signAssertion(claims, secret);
    expect(verifyAssertion(token, secret)?.principal).toEqual(claims.principal);
  });

  it('rejects an assertion signed with another secret', () => {
    expect(verifyAssertion(signAssertion(claims, 'x'.repeat(64)), secret)).toBeNull();
  });

  it('rejects an assertion whose body was altered', () => {
    const [v, , mac] = signAssertion(claims, secret).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, principal: { ...claims.principal, userId: 'u2' }, iat: 0, exp: Date.now() + 1e6 })).toString('base64url');
    expect(verifyAssertion(`${v}.${forged}.${mac}`, secret)).toBeNull();
  });

  it('rejects an expired assertion', () => {
    const token = signAssertion(claims, secret, 1000, Date.now() - 5000);
    expect(verifyAssertion(token, secret)).toBeNull();
  });

  it.each([undefined, '', 'garbage', 'v2.a.b', 'v1.a'])('rejects the malformed value %p', (value) => {
    expect(verifyAssertion(value, secret)).toBeNull();
  });
});
