import { lostAccess } from './principal-resolver';

const user = (memberships: { teamId: string; role: 'ADMIN' | 'MEMBER' }[]) => ({ kind: 'user' as const, userId: 'u', sessionId: 's', memberships });

describe('lostAccess', () => {
  it('is true when a team is gone', () => {
    expect(lostAccess(user([{ teamId: 'a', role: 'MEMBER' }]), user([]))).toBe(true);
  });

  it('is true when an Admin became a Member', () => {
    expect(lostAccess(user([{ teamId: 'a', role: 'ADMIN' }]), user([{ teamId: 'a', role: 'MEMBER' }]))).toBe(true);
  });

  it('is false when access only grew', () => {
    expect(lostAccess(user([{ teamId: 'a', role: 'MEMBER' }]), user([{ teamId: 'a', role: 'ADMIN' }, { teamId: 'b', role: 'MEMBER' }]))).toBe(false);
  });
});
