import { randomUUID } from 'node:crypto';
import type { TeamRole } from '../../kit/auth';
import { badInput, DomainError, notFound } from '../../kit/errors';
import { EventType, type EventActor, type Outbox, type TeamCreatedPayload, type TeamDeletedPayload, type TeamMemberAddedPayload } from '../../kit/events';
import { Permission, type Session } from '../../kit/session';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { MembershipEntity } from '../member/membership.entity';
import type { MembershipRepository } from '../member/membership.repository';
import { TeamEntity } from './team.entity';
import type { TeamRepository } from './team.repository';

const NAME_MAX = 100;
const DESCRIPTION_MAX = 1000;
export const PERSONAL_TEAM_NAME = 'Personal Team';

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw badInput('Team name cannot be empty', { field: 'name' });
  if (trimmed.length > NAME_MAX) throw badInput(`Team name must be at most ${NAME_MAX} characters`, { field: 'name' });
  return trimmed;
}

function cleanDescription(description: string | null | undefined): string | null {
  if (description == null) return null;
  const trimmed = description.trim();
  if (trimmed.length > DESCRIPTION_MAX) {
    throw badInput(`Team description must be at most ${DESCRIPTION_MAX} characters`, { field: 'description' });
  }
  return trimmed || null;
}

export class TeamService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly teams: TeamRepository,
    private readonly memberships: MembershipRepository,
    private readonly outbox: Outbox,
    private readonly apiKeys: { invalidateTeam(tx: Tx, teamId: string): Promise<void> },
    private readonly now: () => Date = () => new Date(),
  ) {}

  findByIds(ids: readonly string[]): Promise<TeamEntity[]> {
    return this.teams.findByIds(ids);
  }

  membershipsOfUsers(userIds: readonly string[]): Promise<MembershipEntity[]> {
    return this.memberships.findByUsers(userIds);
  }

  membershipsOfTeams(teamIds: readonly string[]): Promise<MembershipEntity[]> {
    return this.memberships.findByTeams(teamIds);
  }

  /** A team the caller belongs to; any other id reads as not found, so ids cannot be probed. */
  assertVisible(session: Session, teamId: string): void {
    session.assertPermission(teamId, Permission.TeamRead, notFound('Team'));
  }

  async createTeam(session: Session, input: { name: string; description?: string | null }, actor: EventActor): Promise<TeamEntity> {
    const userId = session.requireUserId();
    const name = cleanName(input.name);
    const description = cleanDescription(input.description);
    const team = await this.uow.run((tx) => this.insertTeam(tx, { name, description, isPersonal: false, createdBy: userId }, actor));
    session.grantWithinRequest(team.id, 'ADMIN');
    return team;
  }

  /** The team every new user starts with, as its Admin. */
  createPersonalTeam(tx: Tx, userId: string, actor: EventActor | null): Promise<TeamEntity> {
    return this.insertTeam(tx, { name: PERSONAL_TEAM_NAME, description: null, isPersonal: true, createdBy: userId }, actor);
  }

  async updateTeam(
    session: Session,
    teamId: string,
    input: { name?: string | null; description?: string | null },
    actor: EventActor,
  ): Promise<TeamEntity> {
    this.assertVisible(session, teamId);
    session.assertPermission(teamId, Permission.TeamModify);
    const changes: Partial<Pick<TeamEntity, 'name' | 'description'>> = {};
    if (input.name !== undefined && input.name !== null) changes.name = cleanName(input.name);
    if (input.description !== undefined) changes.description = cleanDescription(input.description);
    return this.uow.run(async (tx) => {
      const team = await this.teams.lock(tx, teamId);
      if (!team) throw notFound('Team');
      Object.assign(team, changes, { updatedAt: this.now() });
      await this.teams.save(tx, team);
      await this.outbox.enqueue(tx, {
        type: EventType.TeamUpdated,
        aggregateId: team.id,
        teamId: team.id,
        actor,
        payload: { teamId: team.id, changes },
      });
      return team;
    });
  }

  /**
   * Deletes a team (Admins, after a fresh sign-in; never a Personal Team). Members lose access at
   * once; Billing forfeits the prepaid credits and keys stop working, both from `team.deleted`.
   */
  async deleteTeam(session: Session, teamId: string, actor: EventActor): Promise<boolean> {
    session.assertPermission(teamId, Permission.TeamModify);
    session.assertRecentAuthentication();
    return this.uow.run(async (tx) => {
      const team = await this.teams.lock(tx, teamId);
      if (!team) throw notFound('Team');
      if (team.isPersonal) throw new DomainError('PERSONAL_TEAM', 'A Personal Team cannot be deleted');
      team.deletedAt = this.now();
      await this.teams.save(tx, team);
      const members = await this.memberships.removeAll(tx, teamId);
      await this.apiKeys.invalidateTeam(tx, teamId);
      const deleted: TeamDeletedPayload = { teamId, name: team.name };
      await this.outbox.enqueue(
        tx,
        ...members.map((m) => ({ type: EventType.TeamMemberRemoved, aggregateId: teamId, teamId, actor, payload: { teamId, userId: m.userId, role: m.role } })),
        { type: EventType.TeamDeleted, aggregateId: teamId, teamId, actor, payload: deleted },
      );
      return true;
    });
  }

  /** Adds a user to a team with a role, announcing it; callers check who may do this. */
  async addMembership(teamId: string, userId: string, role: TeamRole, actor: EventActor | null): Promise<void> {
    await this.uow.run(async (tx) => {
      await this.memberships.insert(tx, Object.assign(new MembershipEntity(), { teamId, userId, role, createdAt: this.now() }));
      const added: TeamMemberAddedPayload = { teamId, userId, role };
      await this.outbox.enqueue(tx, { type: EventType.TeamMemberAdded, aggregateId: teamId, teamId, actor, payload: added });
    });
  }

  private async insertTeam(
    tx: Tx,
    fields: Pick<TeamEntity, 'name' | 'description' | 'isPersonal' | 'createdBy'>,
    actor: EventActor | null,
  ): Promise<TeamEntity> {
    const now = this.now();
    const team = Object.assign(new TeamEntity(), { id: randomUUID(), ...fields, createdAt: now, updatedAt: now, deletedAt: null });
    await this.teams.insert(tx, team);
    const role: TeamRole = 'ADMIN';
    await this.memberships.insert(tx, Object.assign(new MembershipEntity(), { teamId: team.id, userId: fields.createdBy, role, createdAt: now }));
    const created: TeamCreatedPayload = { teamId: team.id, name: team.name, isPersonal: team.isPersonal, createdBy: fields.createdBy };
    const added: TeamMemberAddedPayload = { teamId: team.id, userId: fields.createdBy, role };
    await this.outbox.enqueue(
      tx,
      { type: EventType.TeamCreated, aggregateId: team.id, teamId: team.id, actor, payload: created },
      { type: EventType.TeamMemberAdded, aggregateId: team.id, teamId: team.id, actor, payload: added },
    );
    return team;
  }
}
