import { isUuid, loaderById, loaderOfMany } from '../kit/loaders';
import type { SubgraphDefinition } from '../kit/subgraph';
import { UnitOfWork } from '../kit/transaction';
import { DirectoryUserEntity } from './directory/directory-user.entity';
import { DirectoryRepository } from './directory/directory.repository';
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
import { PersonalTeamConsumer } from './personal-team/personal-team.consumer';
import type { TeamLoaders, TeamServices } from './team.context';
import { TeamEntity } from './team/team.entity';
import { TeamRepository } from './team/team.repository';
import { TeamResolver } from './team/team.resolver';
import { TeamService } from './team/team.service';
import { TeamUserResolver, teamReferences } from './user/user.resolver';


export const teamSubgraph: SubgraphDefinition<TeamServices, TeamLoaders> = {
  name: 'team',
  entities: [TeamEntity, MembershipEntity, DirectoryUserEntity, InvitationEntity, DomainEntity, JoinRequestEntity],
  migrations: [TeamInitial1732800000000, TeamMembersDomains1732900000000],
  schema: { resolvers: [TeamResolver, TeamMemberResolver, TeamUserResolver, MemberResolver, DomainResolver], referenceResolvers: teamReferences },
  createServices: ({ dataSource, outbox, config }) => {
    const uow = new UnitOfWork(dataSource);
    const teams = new TeamRepository(uow);
    const memberships = new MembershipRepository(uow);
    return {
      teams: new TeamService(uow, teams, memberships, outbox),
      members: new MemberService(uow, teams, memberships, new InvitationRepository(uow), new DirectoryRepository(uow), outbox),
      domains: new DomainService(uow, teams, new DomainRepository(uow), memberships, new DnsTxtLookup(config.dnsResolvers), outbox),
    };
  },
  createLoaders: (services) => ({
    team: loaderById((ids) => services.teams.findByIds(ids), (t) => t.id),
    membersOfTeam: loaderOfMany(async (ids) => (await services.teams.membershipsOfTeams(ids)).map(toMember), (m) => m.teamId),
    membershipsOfUser: loaderOfMany(async (ids) => (await services.teams.membershipsOfUsers(ids)).map(toMember), (m) => m.userId),
  }),
  consumers: (services) => [new PersonalTeamConsumer(services.teams), new SignUpConsumer(services.members, services.domains)],
  internalRoutes: (services) => ({
    // The gateway asks which teams, with which roles, users hold.
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
