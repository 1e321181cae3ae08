import { txtRecordFor } from '../domain/domain.service';
import type { DomainEntity, JoinRequestEntity } from '../domain/domain.entity';
import type { InvitationEntity } from '../invitation/invitation.entity';
import type { TeamMemberType } from '../team/team.types';
import { TeamRoleEnum } from '../team/team.types';
import type { MembershipEntity } from './membership.entity';
import { DomainJoinPolicyEnum, DomainStatusEnum, type TeamDomainType, type TeamInvitationType, type TeamJoinRequestType } from './member.types';

export const toMember = (m: MembershipEntity): TeamMemberType => ({ teamId: m.teamId, userId: m.userId, role: m.role as TeamRoleEnum });

export const toInvitation = (i: InvitationEntity): TeamInvitationType => ({
  id: i.id,
  email: i.email,
  role: i.role as TeamRoleEnum,
  createdAt: i.createdAt,
  invitedBy: { id: i.invitedBy },
});

export const toDomain = (d: DomainEntity): TeamDomainType => ({
  id: d.id,
  domain: d.domain,
  txtRecord: txtRecordFor(d.token),
  status: d.status as DomainStatusEnum,
  joinPolicy: d.joinPolicy as DomainJoinPolicyEnum,
  verifiedAt: d.verifiedAt,
  checkedAt: d.checkedAt,
});

export const toJoinRequest = (r: JoinRequestEntity): TeamJoinRequestType => ({ id: r.id, user: { id: r.userId }, email: r.email, createdAt: r.createdAt });
