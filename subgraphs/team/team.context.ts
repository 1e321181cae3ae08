import type DataLoader from 'dataloader';
import type { EventActor } from '../kit/events';
import type { RequestContext } from '../kit/subgraph';
import type { DomainService } from './domain/domain.service';
import type { MemberService } from './member/member.service';
import type { TeamService } from './team/team.service';
import type { TeamMemberType, TeamType } from './team/team.types';

export interface TeamServices {
  teams: TeamService;
  members: MemberService;
  domains: DomainService;
}

export interface TeamLoaders {
  team: DataLoader<string, TeamType | null>;
  membersOfTeam: DataLoader<string, TeamMemberType[]>;
  membershipsOfUser: DataLoader<string, TeamMemberType[]>;
}

export type TeamContext = RequestContext<TeamServices, TeamLoaders>;

export const actorOf = (ctx: TeamContext): EventActor => ({
  userId: ctx.session.userId,
  ip: ctx.claims.ip,
  userAgent: ctx.claims.userAgent,
});
