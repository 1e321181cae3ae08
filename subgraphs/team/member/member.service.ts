import { randomUUID } from 'node:crypto';
import type { TeamRole } from '../../kit/auth';
import { normalizeEmail } from '../../kit/email';
import { DomainError, ErrorCode, forbidden, notFound } from '../../kit/errors';
import { EventType, type EventActor, type Outbox } from '../../kit/events';
import { Permission, type Session } from '../../kit/session';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import type { DirectoryRepository } from '../directory/directory.repository';
import { InvitationEntity } from '../invitation/invitation.entity';
import type { InvitationRepository } from '../invitation/invitation.repository';
import type { TeamRepository } from '../team/team.repository';
import { MembershipEntity } from './membership.entity';
import type { MembershipRepository } from './membership.repository';

export const TeamErrorCode = {
  AccountNotFound: 'ACCOUNT_NOT_FOUND',
  AlreadyMember: 'ALREADY_MEMBER',
  AlreadyInvited: 'ALREADY_INVITED',
  LastAdmin: 'LAST_ADMIN',
  EmailAmbiguous: 'EMAIL_AMBIGUOUS',
} as const;

export type AddOutcome = { kind: 'member'; membership: MembershipEntity } | { kind: 'invitation'; invitation: InvitationEntity };

/** Members, roles and invitations. Admins change them; a team always keeps an Admin. */
export class MemberService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly teams: TeamRepository,
    private readonly memberships: MembershipRepository,
    private readonly invitations: InvitationRepository,
    private readonly directory: DirectoryRepository,
    private readonly outbox: Outbox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Adds the account that verified this email; with `inviteIfNoAccount`, any other email is invited
   * instead. An account that only typed the address at sign-up answers like no account at all:
   * neither added (it may be an impostor) nor revealed; an invitation waits for its verification.
   */
  async add(session: Session, teamId: string, rawEmail: string, role: TeamRole, actor: EventActor, inviteIfNoAccount: boolean): Promise<AddOutcome> {
    session.assertPermission(teamId, Permission.MembersManage);
    const email = normalizeEmail(rawEmail);
    const accounts = await this.directory.findVerifiedByEmail(email);
    if (accounts.length > 1) {
      throw new DomainError(TeamErrorCode.EmailAmbiguous, 'Several accounts use this email; ask the person which account to add');
    }
    return this.uow.run(async (tx) => {
      if (!(await this.teams.lock(tx, teamId))) throw notFound('Team');
      if (accounts.length === 1) {
        const membership = Object.assign(new MembershipEntity(), { teamId, userId: accounts[0].userId, role, createdAt: this.now() });
        if (!(await this.memberships.insertIfAbsent(tx, membership))) {
          throw new DomainError(TeamErrorCode.AlreadyMember, 'This person is already a member of the team');
        }
        await this.outbox.enqueue(tx, { type: EventType.TeamMemberAdded, aggregateId: teamId, teamId, actor, payload: { teamId, userId: membership.userId, role } });
        return { kind: 'member', membership };
      }
      if (!inviteIfNoAccount) throw new DomainError(TeamErrorCode.AccountNotFound, 'No account uses this email; invite them instead');
      const invitation = Object.assign(new InvitationEntity(), {
        id: randomUUID(),
        teamId,
        email,
        role,
        invitedBy: session.requireUserId(),
        status: 'PENDING',
        createdAt: this.now(),
        acceptedBy: null,
      });
      try {
        await this.invitations.insert(tx, invitation);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new DomainError(TeamErrorCode.AlreadyInvited, 'This email already has a pending invitation');
        throw err;
      }
      await this.outbox.enqueue(tx, { type: EventType.TeamInvitationCreated, aggregateId: teamId, teamId, actor, payload: { teamId, invitationId: invitation.id, email, role } });
      return { kind: 'invitation', invitation };
    });
  }

  async changeRole(session: Session, teamId: string, userId: string, role: TeamRole, actor: EventActor): Promise<MembershipEntity> {
    session.assertPermission(teamId, Permission.MembersManage);
    return this.uow.run(async (tx) => {
      if (!(await this.teams.lock(tx, teamId))) throw notFound('Team');
      const membership = await this.memberships.find(tx, teamId, userId);
      if (!membership) throw notFound('Member');
      if (membership.role === role) return membership;
      if (membership.role === 'ADMIN' && (await this.memberships.countAdmins(tx, teamId)) === 1) {
        throw new DomainError(TeamErrorCode.LastAdmin, 'A team must keep at least one Admin');
      }
      await this.memberships.setRole(tx, teamId, userId, role);
      await this.outbox.enqueue(tx, { type: EventType.TeamMemberRoleChanged, aggregateId: teamId, teamId, actor, payload: { teamId, userId, from: membership.role, role } });
      return Object.assign(membership, { role });
    });
  }

  /** Admins remove anyone; anyone may remove themself (leave). API keys stay with the team. */
  async remove(session: Session, teamId: string, userId: string, actor: EventActor): Promise<boolean> {
    const callerId = session.requireUserId();
    if (callerId !== userId) session.assertPermission(teamId, Permission.MembersManage);
    else if (!session.roleIn(teamId)) throw forbidden();
    return this.uow.run(async (tx) => {
      if (!(await this.teams.lock(tx, teamId))) throw notFound('Team');
      const membership = await this.memberships.find(tx, teamId, userId);
      if (!membership) throw notFound('Member');
      if (membership.role === 'ADMIN' && (await this.memberships.countAdmins(tx, teamId)) === 1) {
        throw new DomainError(TeamErrorCode.LastAdmin, 'A team must keep at least one Admin; make someone else Admin first');
      }
      await this.memberships.remove(tx, teamId, userId);
      await this.outbox.enqueue(tx, { type: EventType.TeamMemberRemoved, aggregateId: teamId, teamId, actor, payload: { teamId, userId, role: membership.role } });
      return true;
    });
  }

  /** Pending invitations of each team (for the per-request loader; callers check access). */
  pendingInvitationsOfTeams(teamIds: readonly string[]): Promise<InvitationEntity[]> {
    return this.invitations.pendingOfTeams(teamIds);
  }

  async cancelInvitation(session: Session, teamId: string, invitationId: string, actor: EventActor): Promise<boolean> {
    session.assertPermission(teamId, Permission.MembersManage);
    return this.uow.run(async (tx) => {
      const invitation = await this.invitations.findPending(tx, teamId, invitationId);
      if (!invitation) throw notFound('Invitation');
      await this.invitations.setStatus(tx, invitation.id, 'CANCELLED');
      await this.outbox.enqueue(tx, { type: EventType.TeamInvitationCancelled, aggregateId: teamId, teamId, actor, payload: { teamId, invitationId, email: invitation.email } });
      return true;
    });
  }

  /** An account verified its email: remember it, and turn the invitations to it into memberships. */
  async onEmailVerified(tx: Tx, userId: string, email: string, actor: EventActor | null, at: Date): Promise<void> {
    await this.directory.recordVerified(tx, userId, email, at);
    for (const invitation of await this.invitations.lockPendingForEmail(tx, email)) {
      const membership = Object.assign(new MembershipEntity(), { teamId: invitation.teamId, userId, role: invitation.role, createdAt: this.now() });
      await this.invitations.setStatus(tx, invitation.id, 'ACCEPTED', userId);
      if (await this.memberships.insertIfAbsent(tx, membership)) {
        await this.outbox.enqueue(tx, {
          type: EventType.TeamMemberAdded,
          aggregateId: invitation.teamId,
          teamId: invitation.teamId,
          actor,
          payload: { teamId: invitation.teamId, userId, role: invitation.role, invitationId: invitation.id },
        });
      }
    }
  }
}
