import { DomainError } from './errors';
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
