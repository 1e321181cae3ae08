import { In, IsNull } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { TeamEntity } from './team.entity';

export class TeamRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findByIds(ids: readonly string[]): Promise<TeamEntity[]> {
    return this.uow.reader.getRepository(TeamEntity).findBy({ id: In([...ids]), deletedAt: IsNull() });
  }

  async insert(tx: Tx, team: TeamEntity): Promise<void> {
    await tx.getRepository(TeamEntity).insert(team);
  }

  /** Locks the team row for the rest of the transaction. */
  lock(tx: Tx, id: string): Promise<TeamEntity | null> {
    return tx.getRepository(TeamEntity).findOne({ where: { id, deletedAt: IsNull() }, lock: { mode: 'pessimistic_write' } });
  }

  async save(tx: Tx, team: TeamEntity): Promise<void> {
    await tx.getRepository(TeamEntity).save(team);
  }
}
