import { isUuid, loaderById, loaderOfMany } from '../kit/loaders';
import type { SubgraphDefinition } from '../kit/subgraph';
import { UnitOfWork } from '../kit/transaction';
import { MembershipEntity } from './member/membership.entity';
import { MembershipRepository } from './member/membership.repository';
import { TeamMemberResolver } from './member/team-member.resolver';
import { TeamInitial1732800000000 } from './migrations/1732800000000-team-initial';
import { PersonalTeamConsumer } from './personal-team/personal-team.consumer';
import type { TeamLoaders, TeamServices } from './team.context';
import { TeamEntity } from './team/team.entity';
import { TeamRepository } from './team/team.repository';
import { TeamResolver } from './team/team.resolver';
import { TeamService } from './team/team.service';
import { TeamRoleEnum, type TeamMemberType } from './team/team.types';
import { TeamUserResolver, teamReferences } from './user/user.resolver';

const toMember = (m: MembershipEntity): TeamMemberType => ({ teamId: m.teamId, userId: m.userId, role: m.role as TeamRoleEnum });

export const teamSubgraph: SubgraphDefinition<TeamServices, TeamLoaders> = {
  name: 'team',
  entities: [TeamEntity, MembershipEntity],
  migrations: [TeamInitial1732800000000],
  schema: { resolvers: [TeamResolver, TeamMemberResolver, TeamUserResolver], referenceResolvers: teamReferences },
  createServices: ({ dataSource, outbox }) => {
    const uow = new UnitOfWork(dataSource);
    return { teams: new TeamService(uow, new TeamRepository(uow), new MembershipRepository(uow), outbox) };
  },
  createLoaders: (services) => ({
    team: loaderById((ids) => services.teams.findByIds(ids), (t) => t.id),
    membersOfTeam: loaderOfMany(async (ids) => (await services.teams.membershipsOfTeams(ids)).map(toMember), (m) => m.teamId),
    membershipsOfUser: loaderOfMany(async (ids) => (await services.teams.membershipsOfUsers(ids)).map(toMember), (m) => m.userId),
  }),
  consumers: (services) => [new PersonalTeamConsumer(services.teams)],
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
