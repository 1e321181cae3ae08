import type DataLoader from 'dataloader';
import type { EventActor } from '../kit/events';
import type { AssertionClaims } from '../kit/auth';
import type { Session } from '../kit/session';
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
  /** The keys of each team the caller may list (the listing is audited). */
  apiKeysOfTeam: DataLoader<string, ApiKeyEntity[]>;
}

export type TeamContext = RequestContext<TeamServices, TeamLoaders>;

/** Who acts in this request, as events record it. */
export const actorFrom = (session: Session, claims: AssertionClaims): EventActor => ({
  userId: session.onBehalfOf,
  apiKeyId: session.principal.kind === 'management-key' ? session.principal.keyId : undefined,
  ip: claims.ip,
  userAgent: claims.userAgent,
});

export const actorOf = (ctx: TeamContext): EventActor => actorFrom(ctx.session, ctx.claims);
