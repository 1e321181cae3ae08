import DataLoader from 'dataloader';
import { isUuid, loaderById, loaderOfMany } from '../kit/loaders';
import type { SubgraphDefinition } from '../kit/subgraph';
import { UnitOfWork } from '../kit/transaction';
import { ApiKeyEntity } from './api-key/api-key.entity';
import { ApiKeyRepository } from './api-key/api-key.repository';
import { ApiKeyResolver, TeamApiKeysResolver } from './api-key/api-key.resolver';
import { ApiKeyService } from './api-key/api-key.service';
import { ApiKeyVerifier } from './api-key/api-key-verifier';
import { TeamApiKeys1732900000001 } from './migrations/1732900000001-team-api-keys';
import { DirectoryUserEntity } from './directory/directory-user.entity';
import { SecretScanningService } from './leak/secret-scanning.service';
import { CreditAlertMailConsumer } from './credit-alert/credit-alert-mail.consumer';
import { CreditAlertMailService } from './credit-alert/credit-alert-mail.service';
import { MailSender } from '../kit/mail/mail-sender';
import { MailRepository } from '../kit/mail/mail.repository';
import { ManagementKeyEntity } from './management-key/management-key.entity';
import { ManagementKeyRepository } from './management-key/management-key.repository';
import { ManagementKeyResolver } from './management-key/management-key.resolver';
import { ManagementKeyService } from './management-key/management-key.service';
import { TeamManagementKeys1732900000002 } from './migrations/1732900000002-team-management-keys';
import { DirectoryRepository } from './directory/directory.repository';
import { DirectoryConsumer } from './directory/directory.consumer';
import { EmailVerifiedConsumer } from './directory/email-verified.consumer';
import { SignUpConsumer } from './directory/sign-up.consumer';
import { DnsTxtLookup } from './domain/dns-txt-lookup';
import { DomainEntity, JoinRequestEntity } from './domain/domain.entity';
import { DomainRepository } from './domain/domain.repository';
import { DomainResolver } from './domain/domain.resolver';
import { DomainService } from './domain/domain.service';
import { InvitationEntity } from './invitation/invitation.entity';
import { InvitationRepository } from './invitation/invitation.repository';
import { toMember } from './member/member.mappers';
import { MemberResolver } from './member/member.resolver';
import { MemberService } from './member/member.service';
import { MembershipEntity } from './member/membership.entity';
import { TeamMembersDomains1732900000000 } from './migrations/1732900000000-team-members-domains';
import { MembershipRepository } from './member/membership.repository';
import { TeamMemberResolver } from './member/team-member.resolver';
import { TeamInitial1732800000000 } from './migrations/1732800000000-team-initial';
import { TeamDirectoryVerified1733300000000 } from './migrations/1733300000000-team-directory-verified';
import { TeamMailRetries1733500000000 } from './migrations/1733500000000-team-mail-retries';
import { PersonalTeamConsumer } from './personal-team/personal-team.consumer';
import { actorFrom, type TeamLoaders, type TeamServices } from './team.context';
import { TeamEntity } from './team/team.entity';
import { TeamRepository } from './team/team.repository';
import { TeamResolver } from './team/team.resolver';
import { TeamService } from './team/team.service';
import { TeamUserResolver, teamReferences } from './user/user.resolver';


export const teamSubgraph: SubgraphDefinition<TeamServices, TeamLoaders> = {
  name: 'team',
  entities: [TeamEntity, MembershipEntity, DirectoryUserEntity, InvitationEntity, DomainEntity, JoinRequestEntity, ApiKeyEntity, ManagementKeyEntity],
  migrations: [TeamInitial1732800000000, TeamMembersDomains1732900000000, TeamApiKeys1732900000001, TeamManagementKeys1732900000002, TeamDirectoryVerified1733300000000, TeamMailRetries1733500000000],
  schema: {
    resolvers: [TeamResolver, TeamMemberResolver, TeamUserResolver, MemberResolver, DomainResolver, ApiKeyResolver, TeamApiKeysResolver, ManagementKeyResolver],
    referenceResolvers: teamReferences,
  },
  createServices: ({ dataSource, outbox, config, live, logger }) => {
    const uow = new UnitOfWork(dataSource);
    const teams = new TeamRepository(uow);
    const memberships = new MembershipRepository(uow);
    const apiKeyRepository = new ApiKeyRepository(uow);
    const apiKeys = new ApiKeyService(uow, apiKeyRepository, outbox, live);
    const directory = new DirectoryRepository(uow);
    const mail = new MailRepository(uow, 'team');
    return {
      directory,
      creditAlertMail: new CreditAlertMailService(teams, memberships, directory, mail),
      apiKeys,
      mailSender: new MailSender(mail, logger, config.mail, config.databaseUrl),
      managementKeys: new ManagementKeyService(uow, new ManagementKeyRepository(uow), outbox),
      secretScanning: new SecretScanningService(uow, apiKeyRepository, apiKeys, memberships, directory, mail, config.secretScanningKeysUrl, logger),
      apiKeyVerifier: new ApiKeyVerifier(apiKeyRepository, live, logger),
      teams: new TeamService(uow, teams, memberships, outbox, apiKeys),
      members: new MemberService(uow, teams, memberships, new InvitationRepository(uow), directory, outbox),
      domains: new DomainService(uow, teams, new DomainRepository(uow), memberships, new DnsTxtLookup(config.dnsResolvers), outbox),
    };
  },
  createLoaders: (services, session, claims) => ({
    team: loaderById((ids) => services.teams.findByIds(ids), (t) => t.id),
    membersOfTeam: loaderOfMany(async (ids) => (await services.teams.membershipsOfTeams(ids)).map(toMember), (m) => m.teamId),
    membershipsOfUser: loaderOfMany(async (ids) => (await services.teams.membershipsOfUsers(ids)).map(toMember), (m) => m.userId),
    apiKey: loaderById((ids) => services.apiKeys.findByIds(ids.filter(isUuid)), (k) => k.id),
    pendingInvitationsOfTeam: loaderOfMany((ids) => services.members.pendingInvitationsOfTeams(ids), (i) => i.teamId),
    domainsOfTeam: loaderOfMany((ids) => services.domains.ofTeams(ids), (d) => d.teamId),
    pendingJoinRequestsOfTeam: loaderOfMany((ids) => services.domains.pendingJoinRequestsOfTeams(ids), (r) => r.teamId),
    managementKeysOfTeam: loaderOfMany((ids) => services.managementKeys.ofTeams(ids), (k) => k.teamId),
    apiKeysOfTeam: new DataLoader((ids) => services.apiKeys.listOfTeams(session, ids, actorFrom(session, claims))),
  }),
  owners: (loaders) => ({ ApiKey: async (id) => (await loaders.apiKey.load(id))?.teamId }),
  workers: (services) => [services.apiKeyVerifier, services.mailSender],
  webhooks: (services) => ({ 'github/secret-scanning': (raw, headers) => services.secretScanning.handle(raw, headers) }),
  consumers: (services) => [
    new PersonalTeamConsumer(services.teams),
    new SignUpConsumer(services.directory),
    new EmailVerifiedConsumer(services.members, services.domains),
    new DirectoryConsumer(services.directory),
    new CreditAlertMailConsumer(services.creditAlertMail),
  ],
  internalRoutes: (services) => ({
    // The gateway asks which teams, with which roles, users hold.
    // Inference servers check a presented key here: valid or not, the team, its rules and limits.
    'verify-api-key': async (body) => services.apiKeyVerifier.verify((body as { key?: unknown })?.key as string),
    // The gateway turns management keys into scoped principals here.
    'resolve-management-keys': async (body) => {
      const tokens = (body as { tokens?: unknown })?.tokens;
      if (!Array.isArray(tokens) || tokens.length > 1000) return { keys: [] };
      return { keys: await services.managementKeys.resolve(tokens as string[]) };
    },
    'memberships-of-users': async (body) => {
      const userIds = (body as { userIds?: unknown })?.userIds;
      if (!Array.isArray(userIds) || userIds.length > 1000) return { memberships: {} };
      const valid = userIds.filter((id): id is string => typeof id === 'string' && isUuid(id));
      const rows = valid.length ? await services.teams.membershipsOfUsers(valid) : [];
      const byUser: Record<string, { teamId: string; role: string }[]> = Object.fromEntries(valid.map((id) => [id, []]));
      for (const m of rows) byUser[m.userId].push({ teamId: m.teamId, role: m.role });
      return { memberships: byUser };
    },
  }),
};
