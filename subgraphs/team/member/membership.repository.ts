import { In } from 'typeorm';
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

  async insert(tx: Tx, membership: MembershipEntity): Promise<void> {
    await tx.getRepository(MembershipEntity).insert(membership);
  }
}
