import { In } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { TeamMembershipEntity } from './team-membership.entity';

export class TeamMembershipRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findByUsers(userIds: readonly string[]): Promise<TeamMembershipEntity[]> {
    return this.uow.reader.getRepository(TeamMembershipEntity).findBy({ userId: In([...userIds]) });
  }

  async add(tx: Tx, userId: string, teamId: string): Promise<void> {
    await tx.createQueryBuilder().insert().into(TeamMembershipEntity).values({ userId, teamId }).orIgnore().execute();
  }

  async remove(tx: Tx, userId: string, teamId: string): Promise<void> {
    await tx.getRepository(TeamMembershipEntity).delete({ userId, teamId });
  }
}
