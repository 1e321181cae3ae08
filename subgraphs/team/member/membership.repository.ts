import { In } from 'typeorm';
import type { TeamRole } from '../../kit/auth';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { MembershipEntity } from './membership.entity';

export class MembershipRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findByUsers(userIds: readonly string[]): Promise<MembershipEntity[]> {
    return this.uow.reader.getRepository(MembershipEntity).find({ where: { userId: In([...userIds]) }, order: { createdAt: 'ASC' } });
  }

  findByTeams(teamIds: readonly string[]): Promise<MembershipEntity[]> {
    return this.uow.reader.getRepository(MembershipEntity).find({ where: { teamId: In([...teamIds]) }, order: { createdAt: 'ASC' } });
  }

  /** The Admins of each team: who is told about its keys' leaks and its credits running low. */
  adminsOfTeams(teamIds: readonly string[]): Promise<MembershipEntity[]> {
    return this.uow.reader.getRepository(MembershipEntity).find({ where: { teamId: In([...teamIds]), role: 'ADMIN' }, order: { createdAt: 'ASC' } });
  }

  find(tx: Tx, teamId: string, userId: string): Promise<MembershipEntity | null> {
    return tx.getRepository(MembershipEntity).findOneBy({ teamId, userId });
  }

  async insert(tx: Tx, membership: MembershipEntity): Promise<void> {
    await tx.getRepository(MembershipEntity).insert(membership);
  }

  /** Adds the membership unless the user is already in the team; true when added. */
  async insertIfAbsent(tx: Tx, membership: MembershipEntity): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO team.memberships (team_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING user_id`,
      [membership.teamId, membership.userId, membership.role, membership.createdAt],
    );
    return rows.length > 0;
  }

  countAdmins(tx: Tx, teamId: string): Promise<number> {
    return tx.getRepository(MembershipEntity).countBy({ teamId, role: 'ADMIN' });
  }

  async setRole(tx: Tx, teamId: string, userId: string, role: TeamRole): Promise<void> {
    await tx.getRepository(MembershipEntity).update({ teamId, userId }, { role });
  }

  async remove(tx: Tx, teamId: string, userId: string): Promise<void> {
    await tx.getRepository(MembershipEntity).delete({ teamId, userId });
  }

  async removeAll(tx: Tx, teamId: string): Promise<MembershipEntity[]> {
    const members = await tx.getRepository(MembershipEntity).findBy({ teamId });
    await tx.getRepository(MembershipEntity).delete({ teamId });
    return members;
  }
}
