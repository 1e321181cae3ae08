import { DomainError } from './errors';
import { Access, assertEmailVerifiedFor } from './access';
import { Permission, Session } from './session';

const member = new Session({ kind: 'user', userId: 'u', sessionId: 's', memberships: [{ teamId: 'member-team', role: 'MEMBER' }, { teamId: 'admin-team', role: 'ADMIN' }] });

const codeOf = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    return (err as DomainError).code;
  }
  return 'no error';
};

describe('Session permissions', () => {
  it('lets an Admin modify the team and read its audit log', () => {
    expect(member.can('admin-team', Permission.TeamModify)).toBe(true);
    expect(member.can('admin-team', Permission.AuditRead)).toBe(true);
  });

  it('lets a Member read the team and its balance but not change it', () => {
    expect(member.can('member-team', Permission.TeamRead)).toBe(true);
    expect(member.can('member-team', Permission.BillingRead)).toBe(true);
    expect(member.can('member-team', Permission.TeamModify)).toBe(false);
    expect(codeOf(() => member.assertPermission('member-team', Permission.MembersManage))).toBe('FORBIDDEN');
  });

  it('treats a team the caller is not in as not found when asked to', () => {
    expect(codeOf(() => member.assertPermission('other-team', Permission.TeamRead, new DomainError('NOT_FOUND', 'Team not found')))).toBe('NOT_FOUND');
  });

  it('asks an anonymous caller to sign in', () => {
    const anonymous = new Session({ kind: 'anonymous' });
    expect(codeOf(() => anonymous.requireUserId())).toBe('UNAUTHENTICATED');
    expect(codeOf(() => anonymous.assertPermission('admin-team', Permission.TeamRead))).toBe('UNAUTHENTICATED');
  });
});

describe('accounts without a verified email', () => {
  const gated = new Session({ kind: 'user', userId: 'x', sessionId: 's', memberships: [], emailVerificationRequired: true });

  it('may call only the operations declared usable before email verification', () => {
    expect(codeOf(() => assertEmailVerifiedFor({ access: Access.SignedIn }, gated, true))).toBe('EMAIL_VERIFICATION_REQUIRED');
    expect(codeOf(() => assertEmailVerifiedFor({ access: Access.Anonymous }, gated, true))).toBe('EMAIL_VERIFICATION_REQUIRED');
    expect(codeOf(() => assertEmailVerifiedFor({ access: Access.SignedIn, beforeEmailVerification: true }, gated, true))).toBe('no error');
  });

  it('leaves fields below an allowed operation to their own rules, and other callers alone', () => {
    expect(codeOf(() => assertEmailVerifiedFor({ access: Access.Self, user: 'root.id' }, gated, false))).toBe('no error');
    expect(codeOf(() => assertEmailVerifiedFor({ access: Access.SignedIn }, member, true))).toBe('no error');
    expect(codeOf(() => assertEmailVerifiedFor({ access: Access.Anonymous }, new Session({ kind: 'anonymous' }), true))).toBe('no error');
  });

  it('follows what a sign-in within the request says about the account', () => {
    const session = new Session({ kind: 'anonymous' });
    session.signedInWithinRequest('u', 's', true);
    expect(session.emailVerificationRequired).toBe(true);
    session.signedInWithinRequest('u', 's');
    expect(session.emailVerificationRequired).toBe(false);
  });
});
