import type DataLoader from 'dataloader';
import type { EventActor } from '../kit/events';
import type { RequestContext } from '../kit/subgraph';
import type { ApiKeyEntity } from './api-key/api-key.entity';
import type { ApiKeyService } from './api-key/api-key.service';
import type { ApiKeyVerifier } from './api-key/api-key-verifier';
import type { DirectoryRepository } from './directory/directory.repository';
import type { CreditAlertMailService } from './credit-alert/credit-alert-mail.service';
import type { DomainEntity, JoinRequestEntity } from './domain/domain.entity';
import type { DomainService } from './domain/domain.service';
import type { InvitationEntity } from './invitation/invitation.entity';
import type { ManagementKeyEntity } from './management-key/management-key.entity';
import type { SecretScanningService } from './leak/secret-scanning.service';
import type { MailSender } from '../kit/mail/mail-sender';
import type { ManagementKeyService } from './management-key/management-key.service';
import type { MemberService } from './member/member.service';
import type { TeamService } from './team/team.service';
import type { TeamMemberType, TeamType } from './team/team.types';

export interface TeamServices {
  directory: DirectoryRepository;
  creditAlertMail: CreditAlertMailService;
  teams: TeamService;
  members: MemberService;
  domains: DomainService;
  apiKeys: ApiKeyService;
  apiKeyVerifier: ApiKeyVerifier;
  mailSender: MailSender;
  managementKeys: ManagementKeyService;
  secretScanning: SecretScanningService;
}

export interface TeamLoaders {
  team: DataLoader<string, TeamType | null>;
  membersOfTeam: DataLoader<string, TeamMemberType[]>;
  membershipsOfUser: DataLoader<string, TeamMemberType[]>;
  apiKey: DataLoader<string, ApiKeyEntity | null>;
  pendingInvitationsOfTeam: DataLoader<string, InvitationEntity[]>;
  domainsOfTeam: DataLoader<string, DomainEntity[]>;
  pendingJoinRequestsOfTeam: DataLoader<string, JoinRequestEntity[]>;
  managementKeysOfTeam: DataLoader<string, ManagementKeyEntity[]>;
}

export type TeamContext = RequestContext<TeamServices, TeamLoaders>;

export const actorOf = (ctx: TeamContext): EventActor => ({
  userId: ctx.session.onBehalfOf,
  apiKeyId: ctx.session.principal.kind === 'management-key' ? ctx.session.principal.keyId : undefined,
  ip: ctx.claims.ip,
  userAgent: ctx.claims.userAgent,
});
