import { In } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { DomainEntity, JoinRequestEntity } from './domain.entity';

export class DomainRepository {
  constructor(private readonly uow: UnitOfWork) {}

  ofTeams(teamIds: readonly string[]): Promise<DomainEntity[]> {
    return this.uow.reader.getRepository(DomainEntity).find({ where: { teamId: In([...teamIds]) }, order: { createdAt: 'ASC' } });
  }

  lock(tx: Tx, teamId: string, id: string): Promise<DomainEntity | null> {
    return tx.getRepository(DomainEntity).findOne({ where: { id, teamId }, lock: { mode: 'pessimistic_write' } });
  }

  async insert(tx: Tx, domain: DomainEntity): Promise<void> {
    await tx.getRepository(DomainEntity).insert(domain);
  }

  async save(tx: Tx, domain: DomainEntity): Promise<void> {
    await tx.getRepository(DomainEntity).save(domain);
  }

  async remove(tx: Tx, id: string): Promise<void> {
    await tx.getRepository(DomainEntity).delete({ id });
  }

  /** The team (if any) that has verified this domain. */
  verifiedFor(tx: Tx, domain: string): Promise<DomainEntity | null> {
    return tx.getRepository(DomainEntity).findOne({ where: { domain, status: 'VERIFIED' } });
  }

  pendingJoinRequestsOfTeams(teamIds: readonly string[]): Promise<JoinRequestEntity[]> {
    return this.uow.reader.getRepository(JoinRequestEntity).find({ where: { teamId: In([...teamIds]), status: 'PENDING' }, order: { createdAt: 'ASC' } });
  }

  async insertJoinRequest(tx: Tx, request: JoinRequestEntity): Promise<void> {
    await tx.createQueryBuilder().insert().into(JoinRequestEntity).values(request).orIgnore().execute();
  }

  lockJoinRequest(tx: Tx, teamId: string, id: string): Promise<JoinRequestEntity | null> {
    return tx.getRepository(JoinRequestEntity).findOne({ where: { id, teamId, status: 'PENDING' }, lock: { mode: 'pessimistic_write' } });
  }

  async saveJoinRequest(tx: Tx, request: JoinRequestEntity): Promise<void> {
    await tx.getRepository(JoinRequestEntity).save(request);
  }
}
